import ArenaData
import Evaluation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temperature scaling (Guo et al. 2017, https://arxiv.org/abs/1706.04599): p'_k ∝ p_k^(1/T).
/// T > 1 softens over-confident predictions, T < 1 sharpens timid ones. One parameter, fitted
/// on out-of-fold predictions, so it cannot overfit a split the way a per-class fit can.
public struct TemperatureScaling: Codable, Sendable, Equatable {
    public var temperature: Double

    public init(temperature: Double = 1) { self.temperature = temperature }

    /// Applies the temperature to one row of probabilities.
    public func apply(_ row: WinnerProbabilities) -> WinnerProbabilities {
        guard temperature != 1 else { return row }
        let logits = row.mapValues { log(max($0, 1e-15)) / temperature }
        let top = logits.max() ?? 0
        let exps = logits.mapValues { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.mapValues { $0 / total }
    }

    public func apply(_ rows: [WinnerProbabilities]) -> [WinnerProbabilities] { rows.map(apply) }

    /// The temperature in [0.25, 4] that minimises the log loss of `probabilities` against
    /// `labels` (golden-section search on log T; the loss is unimodal in T).
    public static func fit(probabilities: [WinnerProbabilities], labels: [Int]) throws(MetricError) -> TemperatureScaling {
        func loss(_ logT: Double) throws(MetricError) -> Double {
            try Metrics.logLoss(probabilities: TemperatureScaling(temperature: exp(logT)).apply(probabilities), labels: labels)
        }
        let ratio = (5.0.squareRoot() - 1) / 2
        var low = log(0.25)
        var high = log(4.0)
        var left = high - ratio * (high - low)
        var right = low + ratio * (high - low)
        var leftLoss = try loss(left)
        var rightLoss = try loss(right)
        for _ in 0..<60 where high - low > 1e-6 {
            if leftLoss < rightLoss {
                high = right
                right = left
                rightLoss = leftLoss
                left = high - ratio * (high - low)
                leftLoss = try loss(left)
            } else {
                low = left
                left = right
                leftLoss = rightLoss
                right = low + ratio * (high - low)
                rightLoss = try loss(right)
            }
        }
        return TemperatureScaling(temperature: exp((low + high) / 2))
    }
}
