/// Column means and standard deviations over battles and their A/B-swapped copies pooled, so
/// that standardising commutes with the swap (a column and its mirror get the same scale): the
/// one standardisation fit of arena, used by the feature models' `Standardizer` and by the
/// fine-tuned numeric branch's `FeatureScaling`.
public struct SwapPooledMoments: Sendable, Equatable {
    public private(set) var sums: [Double]
    public private(set) var squares: [Double]
    /// Observations per column: two per battle added (as given and swapped).
    public private(set) var count: Double

    public init(columns: Int) {
        sums = [Double](repeating: 0, count: columns)
        squares = [Double](repeating: 0, count: columns)
        count = 0
    }

    /// Adds one battle: `values[c]`, column c of the battle as given, and `mirrored[c]`, column c
    /// of its swapped copy (each pair summed first).
    public mutating func add(_ values: [Double], mirrored: [Double]) {
        for column in sums.indices {
            sums[column] += values[column] + mirrored[column]
            squares[column] += values[column] * values[column] + mirrored[column] * mirrored[column]
        }
        count += 2
    }

    /// The column means.
    public var means: [Double] { sums.map { $0 / Swift.max(count, 1) } }

    /// The column standard deviations; 1 where the variance is at most 1e-12 (a constant column
    /// is left unscaled instead of divided by nothing).
    public var deviations: [Double] {
        let n = Swift.max(count, 1)
        return zip(sums, squares).map { total, square in
            let variance = Swift.max(square / n - (total / n) * (total / n), 0)
            return variance > 1e-12 ? variance.squareRoot() : 1
        }
    }
}
