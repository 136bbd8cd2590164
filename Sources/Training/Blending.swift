import ArenaData
import Evaluation
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Ensemble {
    /// The weighted mean of several models' probability rows (`weights` sum to 1).
    public static func weightedMean(_ predictions: [[[Double]]], weights: [Double]) -> [[Double]] {
        guard let first = predictions.first else { return [] }
        var sum = first.map { $0.map { $0 * weights[0] } }
        for (model, weight) in zip(predictions.dropFirst(), weights.dropFirst()) {
            for row in sum.indices {
                for column in sum[row].indices { sum[row][column] += weight * model[row][column] }
            }
        }
        return sum
    }

    /// Non-negative weights summing to 1 that minimise the log loss of the weighted mean of
    /// `predictions` against `labels`. The loss of a mixture is convex in its weights, so
    /// exponentiated-gradient descent on the simplex (mirror descent) finds the optimum; it
    /// starts from equal weights and stops when the loss no longer moves.
    public static func fitWeights(_ predictions: [[[Double]]], labels: [Int], iterations: Int = 5_000) throws(MetricError) -> [Double] {
        let models = predictions.count
        guard models > 0 else { return [] }
        guard models > 1 else { return [1] }
        // p[n][i]: model i's probability of row n's true class.
        let truth = labels.indices.map { n in (0..<models).map { max(predictions[$0][n][labels[n]], 1e-15) } }
        var weights = [Double](repeating: 1 / Double(models), count: models)
        var previous = Double.infinity
        for _ in 0..<iterations {
            var gradient = [Double](repeating: 0, count: models)
            var loss = 0.0
            for row in truth {
                let mixture = zip(row, weights).reduce(0) { $0 + $1.0 * $1.1 }
                loss -= log(mixture)
                for i in 0..<models { gradient[i] -= row[i] / mixture }
            }
            loss /= Double(truth.count)
            if abs(previous - loss) < 1e-13 { break }
            previous = loss
            let scale = gradient.map { abs($0) }.max() ?? 1
            weights = zip(weights, gradient).map { $0 * exp(-0.5 * $1 / max(scale, 1e-12)) }
            let total = weights.reduce(0, +)
            weights = weights.map { $0 / total }
        }
        return weights
    }
}

/// A run's out-of-fold (or validation) predictions, from its oof.csv.
public struct OutOfFoldPredictions: Sendable {
    public var ids: [String]
    public var folds: [Int]
    /// Class index of the label (nil when the row has none).
    public var labels: [Int?]
    public var probabilities: [[Double]]

    /// Reads `runPath/oof.csv` (id, fold, label, winner_model_a, winner_model_b, winner_tie).
    public static func read(runPath: String) throws(TrainingError) -> OutOfFoldPredictions {
        let path = runPath + "/oof.csv"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError.corruptRun(path: path, reason: "the file is missing; was the run copied whole?")
        }
        var result = OutOfFoldPredictions(ids: [], folds: [], labels: [], probabilities: [])
        do {
            let reader = try CSVReader(path: path)
            guard let header = try reader.next()?.strings else { throw TrainingError.corruptRun(path: path, reason: "empty file") }
            func column(_ name: String) throws(TrainingError) -> Int {
                guard let index = header.firstIndex(of: name) else {
                    throw TrainingError.corruptRun(path: path, reason: "no column \(name) (columns: \(header.joined(separator: ", ")))")
                }
                return index
            }
            let id = try column("id"), fold = try column("fold"), label = try column("label")
            let winners = try KaggleColumn.winners.map { name throws(TrainingError) in try column(name) }
            while let record = try reader.next() {
                let fields = record.strings
                guard fields.count == header.count, let f = Int(fields[fold]) else {
                    throw TrainingError.corruptRun(path: path, reason: "line \(record.line): expected \(header.count) fields and an integer fold")
                }
                let values = winners.compactMap { Double(fields[$0]) }
                guard values.count == 3 else {
                    throw TrainingError.corruptRun(path: path, reason: "line \(record.line): the three probabilities must be numbers")
                }
                result.ids.append(fields[id])
                result.folds.append(f)
                result.labels.append(Winner(name: fields[label])?.rawValue)
                result.probabilities.append(values)
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.corruptRun(path: path, reason: "\(error)")
        }
        return result
    }
}

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
        public var predictions: [[Double]]
        public var metrics: RunMetrics
    }

    /// Fits the blend of `members` (run folders with oof.csv) on the ids they share.
    public static func fit(members: [String], calibrate: Bool) throws -> Result {
        guard members.count >= 2 else { throw TrainingError.invalidSetting("an ensemble needs at least two --run folders (got \(members.count))") }
        let predictions = try members.map { path throws(TrainingError) -> OutOfFoldPredictions in
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
}
