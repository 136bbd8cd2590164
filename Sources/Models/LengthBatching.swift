/// Groups sequences of similar length into batches so that little padding is computed
/// (sorted buckets). Deterministic: ties keep input order.
public enum LengthBatching {
    /// Batches of indices into `lengths`: sorted by length (longest first, so a memory
    /// problem shows at once), at most `maxBatchSize` rows (at least 1) and, when given, at most
    /// `maxTokens` padded tokens (rows x longest) per batch. Every index appears exactly once.
    public static func batches(lengths: [Int], maxBatchSize: Int, maxTokens: Int? = nil) -> [[Int]] {
        let maxBatchSize = Swift.max(1, maxBatchSize)
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var batches: [[Int]] = []
        var current: [Int] = []
        var longest = 0
        for index in order {
            let candidateLongest = Swift.max(longest, lengths[index])
            let tooMany = current.count >= maxBatchSize
            let tooLarge = maxTokens.map { !current.isEmpty && (current.count + 1) * candidateLongest > $0 } ?? false
            if tooMany || tooLarge {
                batches.append(current)
                current = []
                longest = 0
            }
            current.append(index)
            longest = Swift.max(longest, lengths[index])
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// Padded tokens over real tokens for a batching (1.0 = no padding).
    public static func paddingRatio(lengths: [Int], batches: [[Int]]) -> Double {
        let real = lengths.reduce(0, +)
        let padded = batches.reduce(0) { total, batch in
            total + batch.count * (batch.map { lengths[$0] }.max() ?? 0)
        }
        return real == 0 ? 1 : Double(padded) / Double(real)
    }
}
