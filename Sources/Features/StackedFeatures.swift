import ArenaData
import Foundation

/// Features of other runs' predictions (stacking): for each member run, the logarithms of its
/// P(A), P(B) and P(tie) (probabilities below 1e-7 count as 1e-7), named `stack_K_log_a`,
/// `stack_K_log_b`, `stack_K_log_tie`. Under the A/B swap a swap-consistent member's P(A) and
/// P(B) exchange and P(tie) stays, so the columns follow ``swapPermutation(members:)``.
public enum StackedFeatures {
    /// The smallest probability taken, so that a member's certainty stays finite.
    public static let floor = 1e-7

    public static func names(members: Int) -> [String] {
        (0..<members).flatMap { member -> [String] in ["stack_\(member)_log_a", "stack_\(member)_log_b", "stack_\(member)_log_tie"] }
    }

    public static func swapPermutation(members: Int) -> SwapPermutation {
        var sources: [Int] = []
        for member in 0..<members {
            let base = 3 * member
            sources += [base + 1, base, base + 2]
        }
        return SwapPermutation(unchecked: sources, signs: [Float](repeating: 1, count: 3 * members))
    }

    /// The features of `rows` battles from each member's predictions for them (`predictions[m][r]`).
    public static func extract(_ predictions: [[WinnerProbabilities]], rows: Int) throws(FeaturesError) -> FeatureMatrix {
        for member in predictions where member.count != rows { throw FeaturesError.shapeMismatch(expected: rows, found: member.count) }
        var values = [Float]()
        values.reserveCapacity(rows * 3 * predictions.count)
        for row in 0..<rows {
            for member in predictions {
                for winner in Winner.allCases { values.append(Float(Foundation.log(Swift.max(member[row][winner], floor)))) }
            }
        }
        return FeatureMatrix(checkedNames: names(members: predictions.count), rows: rows, values: values)
    }
}
