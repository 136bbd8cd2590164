import ArenaData
import Foundation
import Testing

@testable import Features

/// Embedding features: similarities computed by hand, and the swap contract.
@Suite struct EmbeddingFeaturesTests {
    /// One battle of width 3: prompt (1, 0, 0), A (1, 1, 0), B (0, 2, 0).
    static func small() throws -> BattleEmbeddings {
        try BattleEmbeddings(rows: 1, width: 3, prompt: [1, 0, 0], responseA: [1, 1, 0], responseB: [0, 2, 0])
    }

    @Test func similaritiesAreComputedByHand() throws {
        let matrix = try EmbeddingFeatures.extract(Self.small(), configuration: .init(differenceColumns: 3))
        #expect(matrix.names == ["emb_cos_a_prompt", "emb_cos_b_prompt", "emb_diff_cos_prompt", "emb_cos_ab", "emb_diff_0", "emb_diff_1", "emb_diff_2"])
        let half = Float(1 / 2.0.squareRoot())
        // cos(A, prompt) = 1/sqrt(2), cos(B, prompt) = 0, cos(A, B) = 2 / (sqrt(2) * 2).
        #expect(Array(matrix.row(0)) == [half, 0, half, half, 1, -1, 0])
    }

    @Test func aZeroVectorHasSimilarityZero() throws {
        let zero = try BattleEmbeddings(rows: 1, width: 2, prompt: [0, 0], responseA: [1, 0], responseB: [0, 1])
        let matrix = try EmbeddingFeatures.extract(zero, configuration: .init())
        #expect(Array(matrix.row(0)) == [0, 0, 0, 0])
    }

    /// Features of the swapped battles equal the swapped features, bit for bit, for the raw
    /// difference, a projection, and prompt columns.
    @Test(arguments: [(8, 0), (3, 2), (0, 8), (8, 8)])
    func swappingMapsEachFeatureToItsSwappedValue(difference: Int, prompt: Int) throws {
        var random = SeededRandom(seed: 7)
        let rows = 20, width = 8
        let block = { (0..<(rows * width)).map { _ in Float(random.nextGaussian()) } }
        let embeddings = try BattleEmbeddings(rows: rows, width: width, prompt: block(), responseA: block(), responseB: block())
        let configuration = EmbeddingFeatures.Configuration(differenceColumns: difference, promptColumns: prompt)
        let features = try EmbeddingFeatures.extract(embeddings, configuration: configuration)
        let swapped = try EmbeddingFeatures.extract(embeddings.swapped, configuration: configuration)
        #expect(features.columns == 4 + difference + prompt)
        #expect(try EmbeddingFeatures.swapPermutation(configuration).apply(to: features) == swapped)
        // The swap is an involution: applied twice it gives the features back.
        let permutation = EmbeddingFeatures.swapPermutation(configuration)
        #expect(try permutation.apply(to: permutation.apply(to: features)) == features)
    }

    @Test func aPermutationAppendedShiftsItsColumns() throws {
        let first = try SwapPermutation(sourceIndices: [1, 0], signs: [1, 1])
        let second = try SwapPermutation(sourceIndices: [0, 2, 1], signs: [-1, 1, 1])
        let joined = first.appending(second)
        #expect(joined.sourceIndices == [1, 0, 2, 4, 3])
        #expect(joined.signs == [1, 1, -1, 1, 1])
    }

    @Test func badShapesAndSettingsAreRefused() {
        #expect(throws: FeaturesError.self) {
            _ = try BattleEmbeddings(rows: 2, width: 3, prompt: [1, 2, 3], responseA: [], responseB: [])
        }
        #expect(throws: FeaturesError.self) {
            _ = try EmbeddingFeatures.extract(Self.small(), configuration: .init(differenceColumns: 4))
        }
        #expect(throws: FeaturesError.self) {
            _ = try EmbeddingFeatures.extract(Self.small(), configuration: .init(promptColumns: -1))
        }
    }
}
