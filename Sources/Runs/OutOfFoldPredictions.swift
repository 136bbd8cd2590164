import ArenaData
import Foundation
import Prediction

/// A run's out-of-fold (or validation) predictions, from its oof.csv.
public struct OutOfFoldPredictions: Sendable {
    public var ids: [String]
    public var folds: [Int]
    /// Class index of the label (nil when the row has none).
    public var labels: [Int?]
    public var probabilities: [WinnerProbabilities]

    /// Reads `runPath/oof.csv` (id, fold, label, winner_model_a, winner_model_b, winner_tie).
    public static func read(runPath: String) throws(RunError) -> OutOfFoldPredictions {
        let path = runPath + "/oof.csv"
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError.corruptRun(path: path, reason: "the file is missing; was the run copied whole?")
        }
        var result = OutOfFoldPredictions(ids: [], folds: [], labels: [], probabilities: [])
        do {
            let reader = try CSVReader(path: path)
            guard let header = try reader.next()?.strings else { throw RunError.corruptRun(path: path, reason: "empty file") }
            func column(_ name: String) throws(RunError) -> Int {
                guard let index = header.firstIndex(of: name) else {
                    throw RunError.corruptRun(path: path, reason: "no column \(name) (columns: \(header.joined(separator: ", ")))")
                }
                return index
            }
            let id = try column("id"), fold = try column("fold"), label = try column("label")
            let winners = try KaggleColumn.winners.map { name throws(RunError) in try column(name) }
            while let record = try reader.next() {
                let fields = record.strings
                guard fields.count == header.count, let f = Int(fields[fold]) else {
                    throw RunError.corruptRun(path: path, reason: "line \(record.line): expected \(header.count) fields and an integer fold")
                }
                guard let values = WinnerProbabilities(winners.compactMap({ Double(fields[$0]) })) else {
                    throw RunError.corruptRun(path: path, reason: "line \(record.line): the three probabilities must be numbers")
                }
                result.ids.append(fields[id])
                result.folds.append(f)
                result.labels.append(Winner(name: fields[label])?.rawValue)
                result.probabilities.append(values)
            }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.corruptRun(path: path, reason: "\(error)")
        }
        return result
    }
}
