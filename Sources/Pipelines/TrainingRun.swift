import ArenaData
import Foundation
import Prediction
import Report
import Runs

/// A training run from labelled battles to a committed run folder, whatever the model family:
/// the staging folder (new, or resumed when its staged config matches), the family's training
/// in it, then oof.csv, metrics.json and report.html, and the atomic commit. On failure the
/// staging folder keeps its finished folds for `resume` and the lock is released.
///
///     let run = TrainingRun(config: config, out: "runs/linear", overwrite: false, resume: false, inputs: ["train.csv"])
///     let (trained, folder) = try run.execute(log: { print($0) }) { folder in
///         try FeatureModelTraining.train(battles: battles, folds: 5, seed: 0, settings: settings, run: folder)
///     }
public struct TrainingRun {
    public var config: RunConfig
    public var out: String
    public var overwrite: Bool
    public var resume: Bool
    /// Files the run reads (the data, a model folder): never overwritten, and a folder holding
    /// one is never replaced.
    public var inputs: [String]

    public init(config: RunConfig, out: String, overwrite: Bool, resume: Bool, inputs: [String]) {
        self.config = config
        self.out = out
        self.overwrite = overwrite
        self.resume = resume
        self.inputs = inputs
    }

    /// Runs `train` in the staging folder and commits the run; returns what it trained and the
    /// committed folder. The data summary of the report is read from `config.data`.
    public func execute(log: (String) -> Void = { _ in }, _ train: (RunFolder) throws -> TrainedRun) throws -> (TrainedRun, RunFolder) {
        let run = try RunFolder.begin(at: out, config: config, overwrite: overwrite, resume: resume, inputs: inputs)
        do {
            if run.resumed { log("resuming from \(run.stagingPath)") }
            let trained = try train(run)
            try run.write(trained.outOfFoldCSV, to: "oof.csv")
            try run.writeJSON(trained.metrics, to: "metrics.json")
            Self.writeReport(run: run, data: config.data, log: log)
            try run.commit(config: config)
            return (trained, run)
        } catch {
            run.discard()
            throw error
        }
    }

    /// report.html: the data set and the staged run. A run is complete without it, so a failure
    /// is logged, not thrown.
    static func writeReport(run: RunFolder, data: String, log: (String) -> Void) {
        do {
            var report = try RunReport.load(path: run.stagingPath)
            report.name = URL(fileURLWithPath: run.path).lastPathComponent
            report.path = run.path
            let summary = try DatasetSummary.summarize(path: data)
            try run.write(ReportBuilder.html(data: summary, runs: [report]), to: "report.html")
        } catch {
            log("warning: report.html was not written: \(error)")
        }
    }
}

/// The class-prior baseline as a run: one prior per fold, out-of-fold scores.
public enum PriorTraining {
    public static func train(battles: [Battle], folds: Int, seed: UInt64, run: RunFolder) throws -> TrainedRun {
        let result = try CrossValidation.run(
            battles: battles, folds: folds, seed: seed,
            fit: { _, training in try ClassPriorModel(fitting: training) },
            predict: { model, rows in model.predict(rows) })
        try run.writeJSON(PriorRunModel(folds: result.models), to: "model.json")
        return TrainedRun(metrics: result.metrics, battles: battles, folds: result.folds, predictions: result.outOfFold)
    }
}
