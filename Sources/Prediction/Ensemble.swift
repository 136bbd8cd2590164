import ArenaData
import Evaluation
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Combining the predictions of several models.
public enum Ensemble {
    /// The element-wise mean of several models' probability rows (all of the same shape).
    public static func mean(_ predictions: [[WinnerProbabilities]]) -> [WinnerProbabilities] {
        guard let first = predictions.first else { return [] }
        var sum = first
        for other in predictions.dropFirst() {
            for row in sum.indices {
                for column in sum[row].indices { sum[row][column] += other[row][column] }
            }
        }
        let scale = 1 / Double(predictions.count)
        return sum.map { row in row.mapValues { $0 * scale } }
    }
}

extension Ensemble {
    /// The weighted mean of several models' probability rows (`weights` sum to 1).
    public static func weightedMean(_ predictions: [[WinnerProbabilities]], weights: [Double]) -> [WinnerProbabilities] {
        guard let first = predictions.first else { return [] }
        var sum = first.map { $0.mapValues { $0 * weights[0] } }
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
    public static func fitWeights(_ predictions: [[WinnerProbabilities]], labels: [Int], iterations: Int = 5_000) throws(MetricError) -> [Double] {
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
