import ArenaData
import Evaluation
import Foundation
import Prediction
import Runs

/// `model.json` of an ensemble run: the member runs, their weights and a temperature.
///
/// The members are copied into the ensemble (`members/K-NAME/`), so
/// the ensemble is one self-contained folder that keeps working when moved, copied to another
/// machine or used from any directory, and its file list covers the members' files too. (A
/// reference by path breaks when a member moves, and silently uses another run that happens to
/// sit at that path.) Runs of format 1 named the members by the paths given.
public struct EnsembleArtifact: Codable, Sendable, Equatable {
    /// The member run folders: relative to the ensemble's folder (format 2), or as given (format 1).
    public var members: [String]
    /// Where each member was copied from (absolute), for the record.
    public var sources: [String]?
    public var weights: [Double]
    public var temperature: TemperatureScaling?
    /// The rows the weights were fitted on (those every member has a labelled prediction for).
    public var rows: Int
    /// Each member's log loss on those rows.
    public var memberLogLoss: [Double]
}

/// Blends finished runs: weights fitted on the rows all of them predicted out of fold.
public enum Blending {
    public struct Result {
        public var artifact: EnsembleArtifact
        public var ids: [String]
        public var folds: [Int]
        public var labels: [Int]
        public var predictions: [WinnerProbabilities]
        public var metrics: RunMetrics
    }

    /// Fits the blend of `members` (run folders with oof.csv) on the ids they share.
    public static func fit(members: [String], calibrate: Bool) throws -> Result {
        guard members.count >= 2 else { throw TrainingError.setting(name: "members", problem: "must be at least two runs (got \(members.count))") }
        let predictions = try members.map { path throws(RunError) -> OutOfFoldPredictions in
            _ = try RunFolder.readConfig(runPath: path)
            return try OutOfFoldPredictions.read(runPath: path)
        }
        let indexes = predictions.map { oof in Dictionary(oof.ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        let first = predictions[0]
        var ids: [String] = []
        var folds: [Int] = []
        var labels: [Int] = []
        var rows: [[Int]] = []
        for (row, id) in first.ids.enumerated() {
            guard let label = first.labels[row] else { continue }
            let positions = indexes.map { $0[id] }
            guard positions.allSatisfy({ $0 != nil }) else { continue }
            let located = positions.compactMap { $0 }
            guard zip(predictions, located).allSatisfy({ $0.labels[$1] == label }) else {
                throw TrainingError.invalidSetting("row \(id) has different labels in \(members.joined(separator: " and ")): were the runs trained on the same data?")
            }
            ids.append(id)
            folds.append(first.folds[row])
            labels.append(label)
            rows.append(located)
        }
        guard ids.count >= 20 else {
            throw TrainingError.invalidSetting(
                "the runs share \(ids.count) labelled out-of-fold rows; blending needs at least 20 (train them on the same data)")
        }
        let memberPredictions = predictions.indices.map { model in rows.map { predictions[model].probabilities[$0[model]] } }
        let memberLoss = try memberPredictions.map { try Metrics.logLoss(probabilities: $0, labels: labels) }
        let weights = try Ensemble.fitWeights(memberPredictions, labels: labels)
        var blended = Ensemble.weightedMean(memberPredictions, weights: weights)
        var steps = [RunMetrics.Step(step: "mean", logLoss: try Metrics.logLoss(probabilities: Ensemble.mean(memberPredictions), labels: labels)),
                     RunMetrics.Step(step: "weighted", logLoss: try Metrics.logLoss(probabilities: blended, labels: labels))]
        var temperature: TemperatureScaling?
        if calibrate {
            let fitted = try TemperatureScaling.fit(probabilities: blended, labels: labels)
            temperature = fitted
            blended = fitted.apply(blended)
            steps.append(RunMetrics.Step(step: "calibrated", logLoss: try Metrics.logLoss(probabilities: blended, labels: labels)))
        }
        let foldIndex = Dictionary(Set(folds).sorted().enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var metrics = try RunMetrics(outOfFold: blended, labels: labels, folds: folds.map { foldIndex[$0] ?? 0 })
        metrics.steps = steps
        return Result(
            artifact: EnsembleArtifact(
                members: members, sources: nil, weights: weights, temperature: temperature, rows: ids.count, memberLogLoss: memberLoss),
            ids: ids, folds: folds, labels: labels, predictions: blended, metrics: metrics)
    }

    /// oof.csv of the blend.
    public static func outOfFoldCSV(_ result: Result) -> String {
        var writer = CSVWriter()
        writer.write(["id", "fold", "label"] + KaggleColumn.winners)
        for row in result.ids.indices {
            writer.write([result.ids[row], String(result.folds[row]), Winner(rawValue: result.labels[row])?.name ?? ""]
                         + result.predictions[row].map { "\($0)" })
        }
        return writer.take()
    }

    /// The blend as a run (what `arena ensemble` does inside ``TrainingRun``): each member run
    /// copied into `members/K-NAME/` of `run` (an ensemble is one self-contained folder), and
    /// model.json naming those copies.
    public static func train(_ result: Result, members: [String], run: RunFolder) throws -> TrainedRun {
        var artifact = result.artifact
        artifact.members = members.enumerated().map { index, path in
            "members/\(index)-" + (URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent)
        }
        artifact.sources = members.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        for (source, member) in zip(members, artifact.members) { try run.importRun(at: source, as: member) }
        try run.writeJSON(artifact, to: "model.json")
        return TrainedRun(metrics: result.metrics, rows: result.ids.count, outOfFoldCSV: outOfFoldCSV(result))
    }
}
