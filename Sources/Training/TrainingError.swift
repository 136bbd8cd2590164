import ArenaData
import Evaluation

/// Errors of training and prediction; each names the file or setting and what was expected.
public enum TrainingError: Error, Sendable, Equatable {
    case io(DataError)
    case metric(MetricError)
    case invalidSetting(String)
    case runExists(path: String)
    case notARun(path: String, reason: String)
    case corruptRun(path: String, reason: String)
    case incompatibleRun(path: String, reason: String)
    case noLabels(path: String)
    case noRows(path: String)
}

extension TrainingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .io(error): return error.description
        case let .metric(error): return error.description
        case let .invalidSetting(message): return message
        case let .runExists(path):
            return "\(path): a run already exists there; choose another --out or pass --overwrite"
        case let .notARun(path, reason):
            return "\(path): not a finished arena run (\(reason)); make one with `arena train --out \(path)`"
        case let .corruptRun(path, reason):
            return "\(path): the run file is damaged (\(reason)); train the run again"
        case let .incompatibleRun(path, reason):
            return "\(path): \(reason); train the run again with this version"
        case let .noLabels(path):
            return "\(path): the data has no labels (winner_model_a, winner_model_b, winner_tie); training needs labelled rows"
        case let .noRows(path):
            return "\(path): no rows to work on"
        }
    }
}
