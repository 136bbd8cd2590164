/// A dense block of named features: one row per battle, stored row-major.
public struct FeatureMatrix: Sendable, Equatable {
    /// The column names, in column order.
    public let names: [String]
    /// The number of rows.
    public let rows: Int
    /// `rows * columns` values; row `r` is `values[r * columns ..< (r + 1) * columns]`.
    public private(set) var values: [Float]

    /// The number of columns.
    public var columns: Int { names.count }

    /// A matrix of `rows` rows over the columns `names`; throws if `values` does not hold exactly
    /// `rows * names.count` values.
    public init(names: [String], rows: Int, values: [Float]) throws(FeaturesError) {
        guard rows >= 0, values.count == rows * names.count else {
            throw FeaturesError.shapeMismatch(expected: max(rows, 0) * names.count, found: values.count)
        }
        self.names = names
        self.rows = rows
        self.values = values
    }

    /// Builds from values already checked to fill the shape.
    init(checkedNames names: [String], rows: Int, values: [Float]) {
        self.names = names
        self.rows = rows
        self.values = values
    }

    /// The value at `row`, `column`.
    public subscript(row: Int, column: Int) -> Float {
        values[row * columns + column]
    }

    /// The values of one row.
    public func row(_ index: Int) -> ArraySlice<Float> {
        values[index * columns..<(index + 1) * columns]
    }

    /// The index of the column called `name`, or nil.
    public func columnIndex(named name: String) -> Int? {
        names.firstIndex(of: name)
    }
}

/// How a feature vector changes when A and B are exchanged, so that the features of a swapped
/// battle can be had without recomputing them:
///
///     swapped[i] = signs[i] * features[sourceIndices[i]]
///
/// A per-side feature takes the other side's value (sign +1), a difference or log ratio of A
/// over B changes sign (same index, sign -1), and a symmetric feature stays (same index, +1).
public struct SwapPermutation: Sendable, Equatable {
    /// For each column of the swapped vector, the column of the original it comes from.
    public let sourceIndices: [Int]
    /// For each column of the swapped vector, +1 or -1.
    public let signs: [Float]

    /// The number of columns it applies to.
    public var columns: Int { sourceIndices.count }

    /// A permutation from its two columns; each index must be in `0..<sourceIndices.count`.
    public init(sourceIndices: [Int], signs: [Float]) throws(FeaturesError) {
        guard signs.count == sourceIndices.count else {
            throw FeaturesError.shapeMismatch(expected: sourceIndices.count, found: signs.count)
        }
        guard sourceIndices.allSatisfy({ (0..<sourceIndices.count).contains($0) }) else {
            throw FeaturesError.invalidConfiguration("a swap permutation's source indices must be column indices")
        }
        self.sourceIndices = sourceIndices
        self.signs = signs
    }

    /// A permutation built by code that guarantees the checks above.
    init(unchecked sourceIndices: [Int], signs: [Float]) {
        self.sourceIndices = sourceIndices
        self.signs = signs
    }

    /// The features of the swapped battle, given the `columns` features of the battle (an array
    /// or a matrix row); throws if `features` has another length.
    public func apply<Row: RandomAccessCollection>(to features: Row) throws(FeaturesError) -> [Float]
    where Row.Element == Float, Row.Index == Int {
        guard features.count == columns else {
            throw FeaturesError.shapeMismatch(expected: columns, found: features.count)
        }
        let base = features.startIndex
        return zip(sourceIndices, signs).map { source, sign in sign * features[base + source] }
    }

    /// Every row of `matrix` swapped; throws if the matrix does not have `columns` columns.
    public func apply(to matrix: FeatureMatrix) throws(FeaturesError) -> FeatureMatrix {
        guard matrix.columns == columns else {
            throw FeaturesError.shapeMismatch(expected: columns, found: matrix.columns)
        }
        var values = [Float](repeating: 0, count: matrix.values.count)
        for row in 0..<matrix.rows {
            let offset = row * columns
            for column in 0..<columns {
                values[offset + column] = signs[column] * matrix.values[offset + sourceIndices[column]]
            }
        }
        return FeatureMatrix(checkedNames: matrix.names, rows: matrix.rows, values: values)
    }
}
