import ArenaData
import Evaluation

/// Errors of training and prediction (bad data, settings, metrics); each names the file or
/// setting and what was expected. Errors of run folders are ``RunError``s (module Runs).
public enum TrainingError: Error, Sendable, Equatable {
    case io(DataError)
    case metric(MetricError)
    case invalidSetting(String)
    /// A setting out of its range: `name` is the settings field (as in the Swift type, e.g.
    /// "batchSize"), `problem` what is wrong ("must be in 1...1048576 (got 0)"). Descriptions
    /// spell the field as config.json does; the command line names its option instead.
    case setting(name: String, problem: String)
    /// An internal invariant failed: a bug in arena, not bad input.
    case invariant(String)
    case noLabels(path: String)
    /// A battle given for training has no label.
    case unlabelledRow(id: String)
    case noRows(path: String)
    /// The training labels lack a class: every model must see A, B and tie.
    case missingClass(path: String, className: String, counts: [Int])
}

extension TrainingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .io(error): return error.description
        case let .metric(error): return error.description
        case let .invalidSetting(message): return message
        case let .setting(name, problem): return "\(name.snakeCased) \(problem)"
        case let .invariant(message):
            return "internal error: \(message); please report it with the command that led to it"
        case let .unlabelledRow(id):
            return "row \(id) has no label (winner_model_a, winner_model_b, winner_tie); training needs every row labelled"
        case let .noLabels(path):
            return "\(path): the data has no labels (winner_model_a, winner_model_b, winner_tie); training needs labelled rows"
        case let .noRows(path):
            return "\(path): no rows to work on"
        case let .missingClass(path, className, counts):
            return "\(path): no training row has the label \(className) (rows per class A, B, tie: "
                + "\(counts.map(String.init).joined(separator: ", "))); a model must see every class, or it predicts 0 for it"
        }
    }
}
