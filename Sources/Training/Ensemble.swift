/// Combining the predictions of several models.
public enum Ensemble {
    /// The element-wise mean of several models' probability rows (all of the same shape).
    public static func mean(_ predictions: [[[Double]]]) -> [[Double]] {
        guard let first = predictions.first else { return [] }
        var sum = first
        for other in predictions.dropFirst() {
            for row in sum.indices {
                for column in sum[row].indices { sum[row][column] += other[row][column] }
            }
        }
        let scale = 1 / Double(predictions.count)
        return sum.map { row in row.map { $0 * scale } }
    }
}
