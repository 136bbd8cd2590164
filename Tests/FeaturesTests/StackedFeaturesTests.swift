import ArenaData
import Foundation
import Testing

@testable import Features

/// Stacked runs' predictions as features: log-probabilities, and the swap contract.
@Suite struct StackedFeaturesTests {
    @Test func logProbabilitiesPerMember() throws {
        let first: [WinnerProbabilities] = [[0.5, 0.25, 0.25], [0, 0.4, 0.6]]
        let second: [WinnerProbabilities] = [[0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]
        let matrix = try StackedFeatures.extract([first, second], rows: 2)
        #expect(matrix.names == ["stack_0_log_a", "stack_0_log_b", "stack_0_log_tie", "stack_1_log_a", "stack_1_log_b", "stack_1_log_tie"])
        #expect(matrix[0, 0] == Float(log(0.5)) && matrix[0, 1] == Float(log(0.25)) && matrix[0, 4] == Float(log(0.6)))
        // A probability of 0 counts as the floor, so the feature stays finite.
        #expect(matrix[1, 0] == Float(log(StackedFeatures.floor)))
        #expect(throws: FeaturesError.self) { _ = try StackedFeatures.extract([first], rows: 3) }
    }

    /// The features of swapped predictions (P(A) and P(B) exchanged) are the swapped features.
    @Test func swappingMapsEachFeatureToItsSwappedValue() throws {
        let predictions: [[WinnerProbabilities]] = [[[0.5, 0.3, 0.2], [0.1, 0.7, 0.2]], [[0.2, 0.2, 0.6], [0.3, 0.6, 0.1]]]
        let features = try StackedFeatures.extract(predictions, rows: 2)
        let swapped = try StackedFeatures.extract(predictions.map { $0.map(\.swapped) }, rows: 2)
        #expect(try StackedFeatures.swapPermutation(members: 2).apply(to: features) == swapped)
    }
}
