import ArenaData

/// Statistics of the lengths of a list of turns, in characters (Unicode scalars, as Python's
/// `len` counts them): the per-side numeric inputs of the reference notebook S3.
///
/// All are 0 for an empty list. The standard deviation is the population one (numpy's default,
/// `ddof=0`); the median is numpy's (the mean of the two middle values for an even count); the
/// effective mean is the mean over the turns that are not blank (whitespace only), 0 if all are.
public struct TurnLengthStatistics: Sendable, Equatable {
    public var sum: Double
    public var mean: Double
    public var maximum: Double
    public var median: Double
    public var standardDeviation: Double
    public var effectiveMean: Double

    /// The statistics of `turns`.
    public init(turns: [String]) {
        self.init(
            lengths: turns.map(characterCount),
            isBlank: turns.map { $0.utf8.allSatisfy(isASCIIWhitespace) })
    }

    /// The statistics of turns of the given lengths, of which those marked in `isBlank` hold only
    /// whitespace.
    init(lengths: [Int], isBlank: [Bool]) {
        guard !lengths.isEmpty else {
            (sum, mean, maximum, median, standardDeviation, effectiveMean) = (0, 0, 0, 0, 0, 0)
            return
        }
        let values = lengths.map(Double.init)
        let count = Double(values.count)
        sum = values.reduce(0, +)
        mean = sum / count
        maximum = values.max() ?? 0
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        let average = mean
        standardDeviation = (values.reduce(0) { $0 + ($1 - average) * ($1 - average) } / count).squareRoot()
        var nonBlankSum = 0.0
        var nonBlankCount = 0.0
        for (value, blank) in zip(values, isBlank) where !blank {
            nonBlankSum += value
            nonBlankCount += 1
        }
        effectiveMean = nonBlankCount > 0 ? nonBlankSum / nonBlankCount : 0
    }
}
