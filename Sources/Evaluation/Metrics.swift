import ArenaData

// Metrics for three-way preference predictions (P(A wins), P(B wins), P(tie)), matching the
// reference implementations in scikit-learn (checked against fixtures written by
// tools/make_metric_fixtures.py).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a metric cannot be computed from its inputs.
public enum MetricError: Error, Equatable, Sendable, CustomStringConvertible {
    /// There are not as many probability rows as labels.
    case countMismatch(rows: Int, labels: Int)
    /// There are no rows.
    case emptyInput
    /// A label is not a class index in `0..<classes`.
    case labelOutOfRange(row: Int, label: Int, classes: Int)
    /// A probability is NaN or infinite.
    case notFinite(row: Int, column: Int, value: Double)
    /// A parameter (the bin count) is out of its range.
    case invalidParameter(name: String, value: Int, expected: String)

    public var description: String {
        switch self {
        case let .countMismatch(rows, labels):
            return "\(rows) probability rows but \(labels) labels; expected one row per label"
        case .emptyInput:
            return "no rows to score; expected at least one probability row and its label"
        case let .labelOutOfRange(row, label, classes):
            return "row \(row): label \(label) is not a class index; expected 0 to \(classes - 1)"
        case let .notFinite(row, column, value):
            return "row \(row), class \(column): probability \(value); expected a finite number"
        case let .invalidParameter(name, value, expected):
            return "\(name) is \(value); expected \(expected)"
        }
    }
}

/// Scores of probabilistic predictions against class labels.
///
/// Every function takes `probabilities` as one row per example and `labels` as class indices
/// (`Winner.rawValue`: A = 0, B = 1, tie = 2). Every value must be finite; nothing else about
/// the rows is assumed (they need not sum to 1).
public enum Metrics {
    /// Multi-class log loss as scikit-learn's `log_loss` computed it when Kaggle scored this
    /// competition: each probability is clipped to `[epsilon, 1 - epsilon]`, each row is
    /// renormalised to sum to 1, and the result is the mean of `-ln p(true class)`.
    ///
    /// - Parameters:
    ///   - probabilities: `N` rows.
    ///   - labels: `N` class indices in `0..<3`.
    ///   - epsilon: the clipping bound; Kaggle used 1e-15.
    /// - Throws: `MetricError` for empty input, mismatched counts, non-finite values or a label
    ///   outside `0..<3`.
    public static func logLoss(probabilities: [WinnerProbabilities], labels: [Int], epsilon: Double = 1e-15) throws(MetricError) -> Double {
        try validate(probabilities: probabilities, labels: labels)
        var total = 0.0
        for (row, label) in zip(probabilities, labels) {
            var sum = 0.0
            for value in row { sum += clip(value, epsilon) }
            total -= log(clip(row[label], epsilon) / sum)
        }
        return total / Double(labels.count)
    }

    /// The fraction of rows whose most probable class is the label. Equal maxima resolve to the
    /// lowest class index, as numpy's `argmax` does.
    /// - Throws: `MetricError` as `logLoss` does.
    public static func accuracy(probabilities: [WinnerProbabilities], labels: [Int]) throws(MetricError) -> Double {
        try validate(probabilities: probabilities, labels: labels)
        var correct = 0
        for (row, label) in zip(probabilities, labels) where predictedClass(row) == label { correct += 1 }
        return Double(correct) / Double(labels.count)
    }

    /// Counts of (true class, predicted class) pairs: `matrix[true][predicted]`, 3 x 3. The
    /// prediction is the most probable class (lowest index on equal maxima).
    /// - Throws: `MetricError` as `logLoss` does.
    public static func confusionMatrix(probabilities: [WinnerProbabilities], labels: [Int]) throws(MetricError) -> [[Int]] {
        try validate(probabilities: probabilities, labels: labels)
        let classes = Winner.allCases.count
        var matrix = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (row, label) in zip(probabilities, labels) { matrix[label][predictedClass(row)] += 1 }
        return matrix
    }

    /// Top-label expected calibration error (Guo et al. 2017, "On Calibration of Modern Neural
    /// Networks") over `bins` equal-width bins of the confidence, the largest probability of a
    /// row as given. Bin `i` holds confidences in `(i/bins, (i+1)/bins]`; the first bin also
    /// holds 0 and the last anything above 1. The result is the sum over bins of
    /// `(n_bin / N) * |accuracy_bin - mean confidence_bin|`.
    /// - Throws: `MetricError` as `logLoss` does, and when `bins` is less than 1.
    public static func expectedCalibrationError(probabilities: [WinnerProbabilities], labels: [Int], bins: Int = 15) throws(MetricError) -> Double {
        guard bins >= 1 else { throw .invalidParameter(name: "bins", value: bins, expected: "at least 1") }
        try validate(probabilities: probabilities, labels: labels)
        // The boundaries as numpy's linspace(0, 1, bins + 1) computes them, so that a confidence
        // on a boundary falls in the same bin as in the reference.
        let width = 1.0 / Double(bins)
        var boundaries = (0...bins).map { Double($0) * width }
        boundaries[bins] = 1
        var counts = Array(repeating: 0, count: bins)
        var correct = Array(repeating: 0, count: bins)
        var confidenceSums = Array(repeating: 0.0, count: bins)
        for (row, label) in zip(probabilities, labels) {
            let predicted = predictedClass(row)
            let confidence = row[predicted]
            var bin = min(max(Int((confidence * Double(bins)).rounded(.up)) - 1, 0), bins - 1)
            while bin > 0 && confidence <= boundaries[bin] { bin -= 1 }
            while bin < bins - 1 && confidence > boundaries[bin + 1] { bin += 1 }
            counts[bin] += 1
            confidenceSums[bin] += confidence
            if predicted == label { correct[bin] += 1 }
        }
        var error = 0.0
        for bin in 0..<bins where counts[bin] > 0 {
            let count = Double(counts[bin])
            let gap = Double(correct[bin]) / count - confidenceSums[bin] / count
            error += count / Double(labels.count) * abs(gap)
        }
        return error
    }

    /// The share of each class among `labels`: a prediction that ignores the input (the
    /// class-prior baseline), summing to 1.
    /// - Throws: `MetricError` for empty input or a label outside `0..<3`.
    public static func classPrior(labels: [Int]) throws(MetricError) -> WinnerProbabilities {
        guard !labels.isEmpty else { throw .emptyInput }
        var counts = WinnerProbabilities(modelA: 0, modelB: 0, tie: 0)
        for (row, label) in labels.enumerated() {
            guard counts.indices.contains(label) else { throw .labelOutOfRange(row: row, label: label, classes: counts.count) }
            counts[label] += 1
        }
        return counts.mapValues { $0 / Double(labels.count) }
    }

    // MARK: - Helpers

    /// Checks what every metric needs: one row per label, finite values, class-index labels.
    private static func validate(probabilities: [WinnerProbabilities], labels: [Int]) throws(MetricError) {
        guard probabilities.count == labels.count else {
            throw .countMismatch(rows: probabilities.count, labels: labels.count)
        }
        guard !probabilities.isEmpty else { throw .emptyInput }
        for (index, (row, label)) in zip(probabilities, labels).enumerated() {
            for (column, value) in row.enumerated() where !value.isFinite {
                throw .notFinite(row: index, column: column, value: value)
            }
            guard row.indices.contains(label) else { throw .labelOutOfRange(row: index, label: label, classes: row.count) }
        }
    }

    /// The index of the largest value; the lowest such index on ties.
    private static func predictedClass(_ row: WinnerProbabilities) -> Int { row.mostLikely.rawValue }

    private static func clip(_ value: Double, _ epsilon: Double) -> Double {
        min(max(value, epsilon), 1 - epsilon)
    }
}
