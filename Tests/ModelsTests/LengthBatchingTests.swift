import Testing
@testable import Models

@Suite struct LengthBatchingTests {
    @Test func sortsByLengthAndCoversEveryIndexOnce() {
        let lengths = [5, 1, 9, 3, 9, 2, 7]
        let batches = LengthBatching.batches(lengths: lengths, maxBatchSize: 3)
        #expect(batches == [[2, 4, 6], [0, 3, 5], [1]])
        #expect(batches.flatMap { $0 }.sorted() == Array(lengths.indices))
    }

    @Test func respectsTheTokenBudget() {
        let lengths = [100, 90, 10, 10, 10, 10]
        // 2 x 100 = 200 fits; a third row of 100 would not. Short rows pack four to a batch.
        let batches = LengthBatching.batches(lengths: lengths, maxBatchSize: 8, maxTokens: 200)
        #expect(batches == [[0, 1], [2, 3, 4, 5]])
        // A single row longer than the budget still gets its own batch.
        #expect(LengthBatching.batches(lengths: [500, 1], maxBatchSize: 8, maxTokens: 100) == [[0], [1]])
    }

    @Test func sortedBucketsPadLessThanInputOrder() {
        let lengths = [3, 200, 4, 180, 5, 190, 6, 170]
        let sorted = LengthBatching.batches(lengths: lengths, maxBatchSize: 2)
        let inOrder = stride(from: 0, to: lengths.count, by: 2).map { [$0, $0 + 1] }
        let sortedRatio = LengthBatching.paddingRatio(lengths: lengths, batches: sorted)
        let inOrderRatio = LengthBatching.paddingRatio(lengths: lengths, batches: inOrder)
        #expect(sortedRatio < 1.05)
        #expect(inOrderRatio > 1.8)
    }
}
