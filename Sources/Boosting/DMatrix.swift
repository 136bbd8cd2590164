import CXGBoost

/// XGBoost's data matrix: feature rows plus optional labels and weights.
///
/// The matrix owns its XGBoost handle and frees it when the object goes away. XGBoost copies
/// the values in, so the Swift arrays passed to the initialisers need not outlive it. Not
/// `Sendable`: use one matrix from one task at a time.
public final class DMatrix {
    let handle: DMatrixHandle
    /// The number of rows.
    public let rows: Int
    /// The number of feature columns.
    public let columns: Int

    /// A matrix from dense row-major values.
    ///
    /// - Parameters:
    ///   - values: `rows * columns` features, row after row.
    ///   - missing: the value that marks a missing feature (NaN by default; NaN is always missing).
    /// - Throws: `.invalidInput` when the counts do not match; `.xgboost` if XGBoost refuses.
    public init(dense values: [Float], rows: Int, columns: Int, missing: Float = .nan) throws(BoostingError) {
        guard rows > 0, columns > 0 else {
            throw .invalidInput("a dense matrix needs at least one row and one column, got \(rows) x \(columns)")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, count == values.count else {
            throw .invalidInput("a \(rows) x \(columns) dense matrix needs \(rows) * \(columns) values, got \(values.count)")
        }
        var out: DMatrixHandle?
        try callXGBoost("XGDMatrixCreateFromMat") {
            values.withUnsafeBufferPointer { buffer in
                XGDMatrixCreateFromMat(buffer.baseAddress, bst_ulong(rows), bst_ulong(columns), missing, &out)
            }
        }
        handle = try requireHandle(out, from: "XGDMatrixCreateFromMat")
        self.rows = rows
        self.columns = columns
    }

    /// A matrix from compressed sparse rows; absent entries are missing features.
    ///
    /// - Parameters:
    ///   - rowOffsets: `rows + 1` non-decreasing offsets into `columnIndices` and `values`,
    ///     starting at 0 and ending at their count; row `i` holds entries
    ///     `rowOffsets[i] ..< rowOffsets[i + 1]`.
    ///   - columnIndices: the column of each stored entry, each below `columns`.
    ///   - values: the stored entries.
    ///   - columns: the number of feature columns.
    /// - Throws: `.invalidInput` when the arrays are inconsistent; `.xgboost` if XGBoost refuses.
    public init(csr rowOffsets: [Int], columnIndices: [UInt32], values: [Float], columns: Int) throws(BoostingError) {
        guard rowOffsets.count >= 2, columns > 0 else {
            throw .invalidInput("a CSR matrix needs at least one row (two row offsets) and one column")
        }
        guard columnIndices.count == values.count else {
            throw .invalidInput("CSR column indices (\(columnIndices.count)) and values (\(values.count)) differ in count")
        }
        guard rowOffsets.first == 0, rowOffsets.last == values.count else {
            throw .invalidInput("CSR row offsets must start at 0 and end at the value count \(values.count)")
        }
        for row in 0..<(rowOffsets.count - 1) where rowOffsets[row] > rowOffsets[row + 1] {
            throw .invalidInput("CSR row offsets decrease at row \(row): \(rowOffsets[row]) > \(rowOffsets[row + 1])")
        }
        if let index = columnIndices.firstIndex(where: { Int($0) >= columns }) {
            throw .invalidInput("CSR column index \(columnIndices[index]) at entry \(index) is not below \(columns) columns")
        }
        var out: DMatrixHandle?
        try callXGBoost("XGDMatrixCreateFromCSREx") {
            rowOffsets.withUnsafeBufferPointer { offsets in
                columnIndices.withUnsafeBufferPointer { indices in
                    values.withUnsafeBufferPointer { data in
                        XGDMatrixCreateFromCSREx(
                            offsets.baseAddress, indices.baseAddress, data.baseAddress,
                            offsets.count, data.count, columns, &out)
                    }
                }
            }
        }
        handle = try requireHandle(out, from: "XGDMatrixCreateFromCSREx")
        self.rows = rowOffsets.count - 1
        self.columns = columns
    }

    deinit {
        XGDMatrixFree(handle)
    }

    /// Sets the training targets, one per row; for `multi:softprob` the class index 0, 1 or 2.
    public func setLabels(_ labels: [Float]) throws(BoostingError) {
        try setFloatInfo("label", labels)
    }

    /// Sets one non-negative weight per row.
    public func setWeights(_ weights: [Float]) throws(BoostingError) {
        try setFloatInfo("weight", weights)
    }

    /// The labels set with `setLabels` (empty when none were set).
    public func labels() throws(BoostingError) -> [Float] {
        var count: bst_ulong = 0
        var pointer: UnsafePointer<Float>?
        try callXGBoost("XGDMatrixGetFloatInfo") { XGDMatrixGetFloatInfo(handle, "label", &count, &pointer) }
        guard let pointer else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
    }

    private func setFloatInfo(_ field: String, _ values: [Float]) throws(BoostingError) {
        guard values.count == rows else {
            throw .invalidInput("\(field): expected one value per row (\(rows)), got \(values.count)")
        }
        try callXGBoost("XGDMatrixSetFloatInfo") {
            values.withUnsafeBufferPointer { buffer in
                XGDMatrixSetFloatInfo(handle, field, buffer.baseAddress, bst_ulong(buffer.count))
            }
        }
    }
}
