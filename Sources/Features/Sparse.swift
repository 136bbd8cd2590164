/// A sparse vector: the nonzero entries, sorted by index.
public struct SparseVector: Sendable, Equatable {
    /// The column of each stored entry, strictly increasing, each at least 0.
    public private(set) var indices: [Int32]
    /// The value of each stored entry.
    public private(set) var values: [Float]

    /// The zero vector.
    public init() {
        indices = []
        values = []
    }

    /// A vector from its entries; throws unless `indices` is strictly increasing, not negative, and
    /// as long as `values`.
    public init(indices: [Int32], values: [Float]) throws(FeaturesError) {
        guard indices.count == values.count else {
            throw FeaturesError.shapeMismatch(expected: indices.count, found: values.count)
        }
        guard indices.first.map({ $0 >= 0 }) ?? true, zip(indices, indices.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw FeaturesError.invalidConfiguration("sparse vector indices must be increasing and not negative")
        }
        self.indices = indices
        self.values = values
    }

    /// A vector from entries that the caller has already checked.
    init(unchecked indices: [Int32], values: [Float]) {
        self.indices = indices
        self.values = values
    }

    /// The number of stored entries.
    public var storedCount: Int { indices.count }

    /// The value at `index` (0 where nothing is stored).
    public subscript(index: Int) -> Float {
        var (low, high) = (0, indices.count)
        while low < high {
            let middle = (low + high) / 2
            if Int(indices[middle]) < index { low = middle + 1 } else { high = middle }
        }
        return low < indices.count && Int(indices[low]) == index ? values[low] : 0
    }

    /// The Euclidean norm.
    public var norm: Float {
        Float(values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
    }

    /// `lhs - rhs`, entry by entry; entries that cancel exactly are not stored.
    public static func - (lhs: SparseVector, rhs: SparseVector) -> SparseVector {
        var indices: [Int32] = []
        var values: [Float] = []
        indices.reserveCapacity(lhs.storedCount + rhs.storedCount)
        values.reserveCapacity(lhs.storedCount + rhs.storedCount)
        forEachDifference(lhs, rhs) { index, value in
            indices.append(index)
            values.append(value)
        }
        return SparseVector(unchecked: indices, values: values)
    }

    /// The vector with every value negated.
    public static prefix func - (vector: SparseVector) -> SparseVector {
        SparseVector(unchecked: vector.indices, values: vector.values.map { -$0 })
    }

    /// Calls `body` with each nonzero entry of `lhs - rhs`, in index order.
    @inline(__always)
    static func forEachDifference(_ lhs: SparseVector, _ rhs: SparseVector, _ body: (Int32, Float) -> Void) {
        var (i, j) = (0, 0)
        while i < lhs.indices.count || j < rhs.indices.count {
            let left = i < lhs.indices.count ? lhs.indices[i] : Int32.max
            let right = j < rhs.indices.count ? rhs.indices[j] : Int32.max
            if left < right {
                body(left, lhs.values[i])
                i += 1
            } else if right < left {
                body(right, -rhs.values[j])
                j += 1
            } else {
                let difference = lhs.values[i] - rhs.values[j]
                if difference != 0 { body(left, difference) }
                i += 1
                j += 1
            }
        }
    }
}

/// A sparse matrix in compressed sparse row (CSR) form, the layout XGBoost's
/// `XGDMatrixCreateFromCSR` and scipy's `csr_matrix` take: row `r`'s entries are
/// `columnIndices[rowOffsets[r] ..< rowOffsets[r + 1]]` (increasing) with `values` alongside.
///
/// XGBoost reads an entry that is not stored as missing, not as 0. Sparse blocks (TF-IDF) rely
/// on that; dense blocks joined with `init(dense:followedBy:)` keep every value, zeros included.
public struct SparseMatrix: Sendable, Equatable {
    /// `rows + 1` offsets into `columnIndices` and `values`, starting at 0.
    public private(set) var rowOffsets: [Int]
    /// The column of each stored entry.
    public private(set) var columnIndices: [UInt32]
    /// The value of each stored entry.
    public private(set) var values: [Float]
    /// The number of columns.
    public let columns: Int

    /// The number of rows.
    public var rows: Int { rowOffsets.count - 1 }

    /// The number of stored entries.
    public var storedCount: Int { values.count }

    /// A matrix with no rows yet.
    public init(columns: Int) {
        self.columns = columns
        rowOffsets = [0]
        columnIndices = []
        values = []
    }

    /// A matrix with `rows` as its rows; throws if an entry's index is not below `columns`.
    public init(rows: [SparseVector], columns: Int) throws(FeaturesError) {
        self.init(columns: columns)
        for row in rows { try append(row) }
    }

    /// The dense block's columns first (every value stored, zeros included), then the sparse
    /// block's columns shifted right by the dense block's width. Throws if the row counts differ.
    public init(dense: FeatureMatrix, followedBy sparse: SparseMatrix) throws(FeaturesError) {
        guard dense.rows == sparse.rows else {
            throw FeaturesError.rowCountMismatch(left: dense.rows, right: sparse.rows)
        }
        let width = dense.columns
        columns = width + sparse.columns
        rowOffsets = [Int](repeating: 0, count: dense.rows + 1)
        columnIndices = []
        values = []
        columnIndices.reserveCapacity(dense.values.count + sparse.storedCount)
        values.reserveCapacity(dense.values.count + sparse.storedCount)
        for row in 0..<dense.rows {
            columnIndices += (0..<width).map { UInt32($0) }
            values += dense.row(row)
            let range = sparse.rowOffsets[row]..<sparse.rowOffsets[row + 1]
            columnIndices += sparse.columnIndices[range].map { $0 + UInt32(width) }
            values += sparse.values[range]
            rowOffsets[row + 1] = values.count
        }
    }

    /// Appends a row; throws if an entry's index is not below `columns`.
    public mutating func append(_ row: SparseVector) throws(FeaturesError) {
        if let last = row.indices.last, Int(last) >= columns {
            throw FeaturesError.invalidConfiguration("column \(last) is outside a matrix of \(columns) columns")
        }
        appendUnchecked(row)
    }

    /// Appends a row whose indices are known to be below `columns`.
    mutating func appendUnchecked(_ row: SparseVector) {
        columnIndices += row.indices.map { UInt32(truncatingIfNeeded: $0) }
        values += row.values
        rowOffsets.append(values.count)
    }

    /// Appends `lhs - rhs` as a row, without storing entries that cancel.
    mutating func appendDifference(_ lhs: SparseVector, _ rhs: SparseVector) {
        let start = values.count
        let most = lhs.storedCount + rhs.storedCount
        // Written through pointers into space grown once per row: appending entry by entry
        // would check each array's uniqueness every time.
        columnIndices.append(contentsOf: repeatElement(0, count: most))
        values.append(contentsOf: repeatElement(0, count: most))
        var written = 0
        columnIndices.withUnsafeMutableBufferPointer { columns in
            values.withUnsafeMutableBufferPointer { values in
                SparseVector.forEachDifference(lhs, rhs) { index, value in
                    columns[start + written] = UInt32(truncatingIfNeeded: index)
                    values[start + written] = value
                    written += 1
                }
            }
        }
        columnIndices.removeLast(most - written)
        values.removeLast(most - written)
        rowOffsets.append(values.count)
    }

    /// The rows of `parts` one after another; each part must have `columns` columns.
    init(stacking parts: [SparseMatrix], columns: Int) {
        self.init(columns: columns)
        let stored = parts.reduce(0) { $0 + $1.storedCount }
        columnIndices.reserveCapacity(stored)
        values.reserveCapacity(stored)
        rowOffsets.reserveCapacity(parts.reduce(1) { $0 + $1.rows })
        for part in parts {
            let base = values.count
            columnIndices += part.columnIndices
            values += part.values
            rowOffsets += part.rowOffsets.dropFirst().map { $0 + base }
        }
    }

    /// Row `index` as a sparse vector.
    public func row(_ index: Int) -> SparseVector {
        let range = rowOffsets[index]..<rowOffsets[index + 1]
        return SparseVector(unchecked: columnIndices[range].map { Int32(truncatingIfNeeded: $0) }, values: Array(values[range]))
    }

    /// The matrix with every value negated: the A - B block of the swapped battles.
    public func negated() -> SparseMatrix {
        var result = self
        result.values = values.map { -$0 }
        return result
    }
}
