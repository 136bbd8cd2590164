import Foundation

/// One bin of a reliability diagram.
public struct ReliabilityBin: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    public var meanConfidence: Double
    public var accuracy: Double

    /// Bins `confidence` (top-label probability) and `correct` into `bins` equal-width bins of [0, 1].
    public static func bins(confidence: [Double], correct: [Bool], bins: Int = 10) -> [ReliabilityBin] {
        var sums = [Double](repeating: 0, count: bins), hits = [Int](repeating: 0, count: bins), counts = [Int](repeating: 0, count: bins)
        for (value, isCorrect) in zip(confidence, correct) where value.isFinite {
            let index = min(max(Int(value * Double(bins)), 0), bins - 1)
            sums[index] += value
            counts[index] += 1
            if isCorrect { hits[index] += 1 }
        }
        return (0..<bins).map { index in
            ReliabilityBin(
                lower: Double(index) / Double(bins), upper: Double(index + 1) / Double(bins), count: counts[index],
                meanConfidence: counts[index] > 0 ? sums[index] / Double(counts[index]) : 0,
                accuracy: counts[index] > 0 ? Double(hits[index]) / Double(counts[index]) : 0)
        }
    }
}
