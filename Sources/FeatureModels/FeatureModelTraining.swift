import ArenaData
import Boosting
import Evaluation
import Features
import Foundation
import Prediction
import Runs

/// What a fold saves so that an interrupted run can resume after it: the fold's model file and
/// its out-of-fold predictions, in the run's staging folder.
struct FoldCheckpoint: Codable {
    var fold: Int
    var bestIteration: Int
    var rows: [Int]
    var predictions: [WinnerProbabilities]
    var seconds: Double
    /// The validation log loss after each round.
    var history: [Double]?
}

/// The fitted model of a run, saved as `model.json` (the fold boosters are `fold-K.json`).
public struct FeatureModelArtifact: Codable, Sendable {
    public var settings: FeatureModelSettings
    public var featurizer: BattleFeaturizer
    public var folds: Int
    public var bestIterations: [Int]
    public var temperature: TemperatureScaling?
    public var edgeCases: EdgeCaseRules?

    public static func boosterFile(fold: Int) -> String { "fold-\(fold).json" }
}

/// Out-of-fold results of a feature-model run, before and after each post-processing step.
public struct FeatureRunResult {
    public var artifact: FeatureModelArtifact
    public var folds: [Int]
    /// Final out-of-fold predictions (swap-averaged, calibrated, edge-case rules applied).
    public var outOfFold: [WinnerProbabilities]
    public var metrics: RunMetrics
    /// Out-of-fold log loss after each step: "model", "calibrated", "edge cases".
    public var stepLogLoss: [(step: String, logLoss: Double)]
    /// Mean gain of each feature over the fold models, highest first.
    public var importances: [(name: String, gain: Double)]
    /// Per fold, the early-stopping validation log loss after each round (a learning curve).
    public var history: [[Double]]

    /// The learning curves as CSV: fold, round (from 1), validation_log_loss.
    public var historyCSV: String {
        var writer = CSVWriter()
        writer.write(["fold", "round", "validation_log_loss"])
        for (fold, losses) in history.enumerated() {
            for (round, loss) in losses.enumerated() { writer.write([String(fold), String(round + 1), String(loss)]) }
        }
        return writer.take()
    }
}

public enum FeatureModelTraining {
    /// Cross-validates the feature model: per fold, trains XGBoost on the other folds (with
    /// swapped copies when set), early-stopping on a stratified share of them, and predicts the
    /// held-out fold; then fits the temperature and the edge-case rules on the out-of-fold
    /// predictions. Finished folds are saved in `run`'s staging folder as they complete, and
    /// with `resume` the folds found there are loaded instead of trained again. `embeddings`
    /// (row for row with `battles`) are needed when `settings.embeddings` is set.
    public static func crossValidate(
        battles: [Battle], embeddings: BattleEmbeddings? = nil, stacked: [[WinnerProbabilities]] = [], folds foldCount: Int, seed: UInt64,
        settings: FeatureModelSettings, run: RunFolder, resume: Bool, progress: @escaping (TrainingProgress) -> Void
    ) throws -> FeatureRunResult {
        let kfold = try KFold(labels: try KFold.labels(of: battles), folds: foldCount, seed: seed)
        progress(TrainingProgress(stage: .features, completed: 0, total: battles.count))
        let featurizer = try BattleFeaturizer(
            fitting: battles, tfidf: settings.tfidf, embeddings: embeddings, embeddingFeatures: settings.embeddings?.features,
            stacked: stacked)
        let table = try featurizer.table(for: battles, embeddings: embeddings, stacked: stacked)
        progress(TrainingProgress(stage: .features, completed: battles.count, total: battles.count))

        let result = try kfold.run(
            FeatureFoldFitter(table: table, labels: kfold.labels, folds: foldCount, seed: seed, settings: settings, run: run,
                              resume: resume, progress: progress))
        let labels = kfold.labels
        let assignment = kfold.assignment
        let outOfFold = result.predictions
        let bestIterations = result.outcomes.map(\.bestIteration)
        let history = result.outcomes.map(\.history)
        // Gains added fold by fold, in the order of the folds.
        var gains: [String: Double] = [:]
        for outcome in result.outcomes {
            try addGains(of: outcome.booster, kind: settings.kind, names: featurizer.featureNames, into: &gains)
        }

        let post = try PostProcessing.fit(
            predictions: outOfFold, battles: battles, labels: labels, folds: assignment, temperature: settings.calibrate ? .fitted : .none,
            edgeCases: settings.edgeCases)
        let metrics = try post.metrics(labels: labels, folds: assignment)
        let artifact = FeatureModelArtifact(
            settings: settings, featurizer: featurizer, folds: foldCount, bestIterations: bestIterations,
            temperature: post.temperature, edgeCases: post.edgeCases)
        // Ties by name: the dictionary's order changes from process to process.
        let importances = gains.map { (name: $0.key, gain: $0.value / Double(foldCount)) }
            .sorted { $0.gain != $1.gain ? $0.gain > $1.gain : $0.name < $1.name }
        return FeatureRunResult(
            artifact: artifact, folds: assignment, outOfFold: post.predictions, metrics: metrics, stepLogLoss: post.steps,
            importances: importances, history: history)
    }

    /// Trains the feature model as a run (what `arena train --model linear|gbdt` does inside
    /// ``TrainingRun``): ``crossValidate(battles:embeddings:stacked:folds:seed:settings:run:resume:progress:)``,
    /// then model.json, the fold boosters, importances.csv and history.csv in `run`, the fold
    /// checkpoints removed; `log` gets the loss after each post-processing step, the
    /// temperature and the edge-case rules.
    public static func train(
        battles: [Battle], embeddings: BattleEmbeddings? = nil, stacked: [[WinnerProbabilities]] = [], folds: Int, seed: UInt64,
        settings: FeatureModelSettings, run: RunFolder, progress: @escaping (TrainingProgress) -> Void = { _ in }, log: (String) -> Void = { _ in }
    ) throws -> (TrainedRun, FeatureRunResult) {
        let result = try crossValidate(
            battles: battles, embeddings: embeddings, stacked: stacked, folds: folds, seed: seed, settings: settings, run: run, resume: run.resumed, progress: progress)
        for step in result.stepLogLoss {
            log("out-of-fold log loss, \(step.step): \(String(format: "%.5f", step.logLoss))")
        }
        if let temperature = result.artifact.temperature {
            log("temperature \(String(format: "%.3f", temperature.temperature))")
        }
        for (name, rule) in (result.artifact.edgeCases?.rules ?? [:]).sorted(by: { $0.key < $1.key }) {
            let losses = rule.ruleLogLoss.map { String(format: ", rule %.4f vs model %.4f", $0, rule.modelLogLoss ?? .nan) } ?? ""
            log("edge case \(name): \(rule.rows) rows, \(rule.enabled ? "fixed answer used" : "model kept")\(losses)")
        }
        var importances = CSVWriter()
        importances.write(["feature", "gain"])
        for entry in result.importances { importances.write([entry.name, String(entry.gain)]) }
        try run.write(importances.take(), to: "importances.csv")
        try run.writeJSON(result.artifact, to: "model.json")
        try run.write(result.historyCSV, to: "history.csv")
        removeCheckpoints(folds: folds, run: run)
        let trained = TrainedRun(metrics: result.metrics, battles: battles, folds: result.folds, predictions: result.outOfFold)
        return (trained, result)
    }

    /// The name of fold `fold`'s checkpoint in the staging folder.
    static func checkpointName(fold: Int) -> String { "fold-\(fold).checkpoint.json" }

    /// Removes the fold checkpoints from a finished run's staging folder (oof.csv holds the
    /// same predictions), before it is committed.
    public static func removeCheckpoints(folds: Int, run: RunFolder) {
        for fold in 0..<folds { try? FileManager.default.removeItem(atPath: run.file(checkpointName(fold: fold))) }
    }

    /// Trains one fold's booster on `rows`, early-stopping on a stratified share of them.
    static func fitFold(
        table: FeatureTable, labels: [Int], rows: [Int], settings: FeatureModelSettings, seed: UInt64,
        progress: @escaping (Int, Double?) -> Void
    ) throws -> TrainedBooster {
        let (inner, validation) = try StratifiedKFold.holdout(
            labels: rows.map { labels[$0] }, fraction: settings.validationFraction, seed: seed)
        let trainingRows = inner.map { rows[$0] }
        let validationRows = validation.map { rows[$0] }
        let training = try table.matrix(rows: trainingRows, addSwapped: settings.swapAugmentation, labels: labels)
        let validationMatrix = try table.matrix(rows: validationRows, addSwapped: settings.swapAugmentation, labels: labels)
        return try Boosting.train(
            parameters: settings.parameters, training: training, validation: validationMatrix, rounds: settings.rounds,
            earlyStoppingRounds: settings.earlyStoppingRounds, onIteration: progress)
    }

    /// Predictions for `rows`, swap-averaged when asked.
    static func predict(_ trained: TrainedBooster, table: FeatureTable, rows: [Int], swapAveraging: Bool) throws -> [WinnerProbabilities] {
        let direct = try rowsOfThree(trained.predict(table.matrix(rows: rows)))
        guard swapAveraging else { return direct }
        let mirrored = try rowsOfThree(trained.predict(table.matrix(rows: rows, swapped: true)))
        return SwapAveraging.combine(direct: direct, swapped: mirrored)
    }

    /// Predictions of a saved booster (all rounds up to its best) for `rows`.
    static func predict(_ booster: Booster, bestIteration: Int, table: FeatureTable, rows: [Int], swapAveraging: Bool) throws
        -> [WinnerProbabilities]
    {
        let range = 0..<(bestIteration + 1)
        let direct = try rowsOfThree(booster.predict(table.matrix(rows: rows), iterationRange: range))
        guard swapAveraging else { return direct }
        let mirrored = try rowsOfThree(booster.predict(table.matrix(rows: rows, swapped: true), iterationRange: range))
        return SwapAveraging.combine(direct: direct, swapped: mirrored)
    }

    static func rowsOfThree(_ flat: [Float]) throws(TrainingError) -> [WinnerProbabilities] {
        guard flat.count % 3 == 0 else {
            throw TrainingError.invariant("XGBoost returned \(flat.count) values; expected 3 per row")
        }
        return stride(from: 0, to: flat.count, by: 3).map { [Double(flat[$0]), Double(flat[$0 + 1]), Double(flat[$0 + 2])] }
    }

    /// Adds each feature's importance: the mean gain of its splits for trees, the mean absolute
    /// coefficient over the classes for a linear model (XGBoost defines only "weight" there).
    private static func addGains(
        of booster: Booster, kind: FeatureModelSettings.Kind, names: [String], into gains: inout [String: Double]
    ) throws {
        let type: FeatureImportance = kind == .linear ? .weight : .gain
        for score in try booster.featureScores(type: type, featureNames: names) {
            gains[score.name, default: 0] += score.scores.map(abs).reduce(0, +) / Double(max(score.scores.count, 1))
        }
    }

    /// Predicts `battles` with a saved run: the mean of the fold models (each swap-averaged when
    /// the run was), then the run's temperature and edge-case rules. `embeddings` (row for row)
    /// are needed when the run has embedding features, the stacked runs' predictions of them
    /// (`stacked[run][row]`) when it stacks runs.
    public static func predict(
        battles: [Battle], embeddings: BattleEmbeddings? = nil, stacked: [[WinnerProbabilities]] = [], artifact: FeatureModelArtifact,
        runPath: String
    ) throws -> [WinnerProbabilities] {
        let table = try artifact.featurizer.table(for: battles, embeddings: embeddings, stacked: stacked)
        let rows = Array(battles.indices)
        var foldPredictions: [[WinnerProbabilities]] = []
        for fold in 0..<artifact.folds {
            let path = runPath + "/" + FeatureModelArtifact.boosterFile(fold: fold)
            let booster: Booster
            do { booster = try Booster(contentsOf: path) } catch {
                throw RunError.corruptRun(path: path, reason: "\(error)")
            }
            let featureCount = try booster.featureCount
            guard featureCount == table.columns else {
                throw RunError.corruptRun(
                    path: path, reason: "the model takes \(featureCount) features; model.json describes \(table.columns)")
            }
            foldPredictions.append(
                try predict(
                    booster, bestIteration: artifact.bestIterations[fold], table: table, rows: rows,
                    swapAveraging: artifact.settings.swapAveraging))
        }
        return PostProcessing.apply(
            foldPredictions: foldPredictions, temperature: artifact.temperature, edgeCases: artifact.edgeCases, battles: battles)
    }
}

/// One fold of the feature model for ``KFold``: XGBoost on the fold's training rows, its
/// booster file and checkpoint saved in the staging folder as it finishes.
struct FeatureFoldFitter: FoldFitter {
    struct Outcome {
        var booster: Booster
        var bestIteration: Int
        var history: [Double]
        var predictions: [WinnerProbabilities]
    }

    let table: FeatureTable
    let labels: [Int]
    let folds: Int
    let seed: UInt64
    let settings: FeatureModelSettings
    let run: RunFolder
    let resume: Bool
    let progress: (TrainingProgress) -> Void

    func resumed(fold: Int, heldOut: [Int]) throws -> Outcome? {
        guard resume,
            let checkpoint = try? RunFolder.readJSON(
                FoldCheckpoint.self, runPath: run.stagingPath, name: FeatureModelTraining.checkpointName(fold: fold)),
            FileManager.default.fileExists(atPath: run.file(FeatureModelArtifact.boosterFile(fold: fold)))
        else { return nil }
        guard checkpoint.rows == heldOut, checkpoint.predictions.count == heldOut.count else {
            throw RunError.corruptRun(
                path: run.file(FeatureModelTraining.checkpointName(fold: fold)),
                reason: "it holds \(checkpoint.predictions.count) predictions for other rows than fold \(fold + 1) holds out")
        }
        let booster = try Booster(contentsOf: run.file(FeatureModelArtifact.boosterFile(fold: fold)))
        progress(TrainingProgress(stage: .fold(fold, of: folds), completed: 1, total: 1, detail: "resumed from checkpoint"))
        return Outcome(booster: booster, bestIteration: checkpoint.bestIteration, history: checkpoint.history ?? [], predictions: checkpoint.predictions)
    }

    func fit(fold: Int, training: [Int], heldOut: [Int]) throws -> Outcome {
        let started = Date()
        let trained = try FeatureModelTraining.fitFold(
            table: table, labels: labels, rows: training, settings: settings, seed: seed &+ UInt64(fold),
            progress: { round, loss in
                progress(
                    TrainingProgress(
                        stage: .fold(fold, of: folds), completed: round + 1, total: settings.rounds,
                        detail: loss.map { String(format: "validation log loss %.5f", $0) }))
            })
        let predictions = try FeatureModelTraining.predict(trained, table: table, rows: heldOut, swapAveraging: settings.swapAveraging)
        try trained.booster.save(to: run.file(FeatureModelArtifact.boosterFile(fold: fold)))
        try run.writeJSON(
            FoldCheckpoint(
                fold: fold, bestIteration: trained.bestIteration, rows: heldOut, predictions: predictions,
                seconds: Date().timeIntervalSince(started), history: trained.validationHistory),
            to: FeatureModelTraining.checkpointName(fold: fold))
        let loss = try Metrics.logLoss(probabilities: predictions, labels: heldOut.map { labels[$0] })
        progress(
            TrainingProgress(
                stage: .fold(fold, of: folds), completed: settings.rounds, total: settings.rounds,
                detail: String(format: "done: log loss %.5f, best round %d", loss, trained.bestIteration + 1)))
        return Outcome(booster: trained.booster, bestIteration: trained.bestIteration, history: trained.validationHistory, predictions: predictions)
    }

    func predictions(of outcome: Outcome) -> [WinnerProbabilities] { outcome.predictions }
}
