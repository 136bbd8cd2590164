import ArenaData
import Prediction

/// What a model family's training leaves for the files every run has: the scores (metrics.json)
/// and the out-of-fold (or validation) predictions (oof.csv).
public struct TrainedRun {
    public var metrics: RunMetrics
    /// The number of rows predicted out of fold.
    public var rows: Int
    /// oof.csv: id, fold, label and the three probabilities of each row predicted out of fold.
    public var outOfFoldCSV: String

    /// The rows predicted out of fold (or on validation) with their fold and prediction.
    public init(metrics: RunMetrics, battles: [Battle], folds: [Int], predictions: [WinnerProbabilities]) {
        self.init(
            metrics: metrics, rows: battles.count,
            outOfFoldCSV: CrossValidation.outOfFoldCSV(battles: battles, folds: folds, predictions: predictions))
    }

    public init(metrics: RunMetrics, rows: Int, outOfFoldCSV: String) {
        self.metrics = metrics
        self.rows = rows
        self.outOfFoldCSV = outOfFoldCSV
    }
}
