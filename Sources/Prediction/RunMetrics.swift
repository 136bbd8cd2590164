import ArenaData
import Evaluation

/// The scores of a run; `metrics.json` in the run folder.
public struct RunMetrics: Codable, Sendable, Equatable {
    public struct Fold: Codable, Sendable, Equatable {
        public var fold: Int
        public var rows: Int
        public var logLoss: Double
        public var accuracy: Double
    }

    public var folds: [Fold]
    /// Log loss of all out-of-fold predictions together.
    public var oofLogLoss: Double
    public var oofAccuracy: Double
    public var oofExpectedCalibrationError: Double
    /// `[true class][predicted class]` over the out-of-fold predictions.
    public var oofConfusionMatrix: [[Int]]
    /// Out-of-fold log loss after each step of the model ("model", "calibrated", "edge cases").
    public var steps: [Step]?

    public struct Step: Codable, Sendable, Equatable {
        public var step: String
        public var logLoss: Double

        public init(step: String, logLoss: Double) {
            self.step = step
            self.logLoss = logLoss
        }
    }
}

extension RunMetrics {
    /// The metrics of out-of-fold predictions, overall and per fold.
    public init(outOfFold: [WinnerProbabilities], labels: [Int], folds: [Int]) throws(MetricError) {
        let foldCount = (folds.max() ?? 0) + 1
        var perFold: [Fold] = []
        for fold in 0..<foldCount {
            let rows = folds.indices.filter { folds[$0] == fold }
            let predictions = rows.map { outOfFold[$0] }
            let foldLabels = rows.map { labels[$0] }
            perFold.append(
                Fold(
                    fold: fold, rows: rows.count, logLoss: try Metrics.logLoss(probabilities: predictions, labels: foldLabels),
                    accuracy: try Metrics.accuracy(probabilities: predictions, labels: foldLabels)))
        }
        self.init(
            folds: perFold, oofLogLoss: try Metrics.logLoss(probabilities: outOfFold, labels: labels),
            oofAccuracy: try Metrics.accuracy(probabilities: outOfFold, labels: labels),
            oofExpectedCalibrationError: try Metrics.expectedCalibrationError(probabilities: outOfFold, labels: labels),
            oofConfusionMatrix: try Metrics.confusionMatrix(probabilities: outOfFold, labels: labels))
    }
}
