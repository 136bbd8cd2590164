import Testing

@testable import Features

/// The one standardisation fit: means and deviations over battles and their swapped copies,
/// checked against values computed by hand.
@Suite struct SwapPooledMomentsTests {
    @Test func meansAndDeviationsPoolBothOrientations() {
        var moments = SwapPooledMoments(columns: 3)
        // Two battles; column 0 and 1 are a side pair (the mirror of column 0 is column 1), column 2 is constant.
        moments.add([1, 3, 5], mirrored: [3, 1, 5])
        moments.add([2, 6, 5], mirrored: [6, 2, 5])
        #expect(moments.count == 4)
        // Column 0 sees 1, 3, 2, 6: mean 3, population variance (1 + 9 + 4 + 36) / 4 - 9 = 3.5.
        #expect(moments.means == [3, 3, 5])
        let deviations = moments.deviations
        #expect(abs(deviations[0] - 3.5.squareRoot()) < 1e-12)
        #expect(deviations[0] == deviations[1], "a column and its mirror get the same scale")
        #expect(deviations[2] == 1, "a constant column is left unscaled")
    }

    @Test func nothingAddedGivesZeroMeansAndUnitScales() {
        let moments = SwapPooledMoments(columns: 2)
        #expect(moments.means == [0, 0])
        #expect(moments.deviations == [1, 1])
    }
}
