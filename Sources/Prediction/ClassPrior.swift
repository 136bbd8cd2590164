import ArenaData
import Evaluation

/// The baseline every model must beat: the class frequencies of the training labels, predicted
/// for every row whatever its text. Its log loss is the entropy of the label distribution
/// (1.0972 on the full Kaggle training file).
public struct ClassPriorModel: Codable, Sendable, Equatable {
    /// P(A wins), P(B wins), P(tie).
    public var probabilities: WinnerProbabilities

    /// Fits the prior to the labels of `battles`.
    public init(fitting battles: [Battle]) throws(TrainingError) {
        let labels = battles.compactMap { $0.winner?.rawValue }
        guard !labels.isEmpty else { throw TrainingError.invalidSetting("the class prior needs labelled rows") }
        do { probabilities = try Metrics.classPrior(labels: labels) } catch {
            throw TrainingError.metric(error)
        }
    }

    public init(probabilities: WinnerProbabilities) { self.probabilities = probabilities }

    /// The prior for each battle.
    public func predict(_ battles: [Battle]) -> [WinnerProbabilities] {
        Array(repeating: probabilities, count: battles.count)
    }
}

/// `model.json` of a class-prior run: one prior per fold model.
public struct PriorRunModel: Codable, Sendable {
    public var folds: [ClassPriorModel]

    public init(folds: [ClassPriorModel]) { self.folds = folds }
}
