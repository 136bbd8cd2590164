import ArenaData
import FeatureModels
import Foundation
import Prediction
import Runs

/// Why a run cannot be stacked.
public enum StackingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The run's out-of-fold predictions were not made on this training run's rows and folds,
    /// so its predictions of a row could come from a model that saw the row's label.
    case otherFolds(run: String, problem: String)
    /// The same run given twice.
    case repeated(run: String)

    public var description: String {
        switch self {
        case let .otherFolds(run, problem):
            return "cannot stack \(run): \(problem); train it on the same --data with the same --folds and --seed, or its predictions leak the held-out labels"
        case let .repeated(run):
            return "\(run) is stacked twice"
        }
    }
}

/// Stacking: finished runs' out-of-fold predictions as features of a feature-model run
/// (`arena train --stack RUN`), and the runs copied into it so that it predicts on its own.
public enum Stacking {
    /// The members' out-of-fold predictions of `battles` (`[run][row]`) and their records for
    /// the settings; each run must have been trained on exactly these rows (ids and labels in
    /// order) with the same fold count and seed, so its fold assignment equals this run's.
    public static func outOfFold(runs: [String], battles: [Battle], folds: Int, seed: UInt64) throws -> (
        predictions: [[WinnerProbabilities]], members: [StackedRun]
    ) {
        let sources = runs.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let repeated = sources.indices.first(where: { sources.firstIndex(of: sources[$0]) != $0 }) {
            throw StackingError.repeated(run: runs[repeated])
        }
        let kfold = try KFold(labels: try KFold.labels(of: battles), folds: folds, seed: seed)
        let fingerprint = RunConfig.fingerprint(of: battles)
        var predictions: [[WinnerProbabilities]] = []
        var members: [StackedRun] = []
        for (index, run) in runs.enumerated() {
            func other(_ problem: String) -> StackingError { .otherFolds(run: run, problem: problem) }
            let config = try RunFolder.readConfig(runPath: run)
            guard config.folds == folds else { throw other("it has \(config.folds) folds, this run \(folds)") }
            guard config.seed == seed else { throw other("its fold seed is \(config.seed), this run's \(seed)") }
            guard config.rows == battles.count, config.dataFingerprint == fingerprint else {
                throw other("it was trained on other rows (\(config.rows) rows, data fingerprint \(config.dataFingerprint ?? "none"); this run has \(battles.count), \(fingerprint))")
            }
            let oof = try OutOfFoldPredictions.read(runPath: run)
            guard oof.ids == battles.map(\.id) else { throw other("its oof.csv lists other ids or another order than the data") }
            guard oof.folds == kfold.assignment else {
                let row = oof.folds.indices.first { oof.folds[$0] != kfold.assignment[$0] } ?? 0
                throw other("its oof.csv puts row \(row + 1) (id \(battles[row].id)) in fold \(oof.folds[row]), this run in fold \(kfold.assignment[row])")
            }
            let metrics = try? RunFolder.readJSON(RunMetrics.self, runPath: run, name: "metrics.json")
            predictions.append(oof.probabilities)
            members.append(
                StackedRun(
                    folder: "stack/\(index)-" + URL(fileURLWithPath: run).standardizedFileURL.lastPathComponent, source: sources[index],
                    kind: config.kind.rawValue, oofLogLoss: metrics?.oofLogLoss))
        }
        return (predictions, members)
    }

    /// Copies each member run into `run` at its `folder` (replacing the copy a resumed staging
    /// folder holds).
    public static func copy(_ members: [StackedRun], into run: RunFolder) throws {
        for member in members {
            let target = run.file(member.folder)
            if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
            try run.importRun(at: member.source, as: member.folder)
        }
    }
}
