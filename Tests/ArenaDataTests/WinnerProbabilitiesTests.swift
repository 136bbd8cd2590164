import ArenaData
import Foundation
import Testing

@Suite struct WinnerProbabilitiesTests {
    @Test func indexedByClassAndByWinner() {
        var p: WinnerProbabilities = [0.5, 0.3, 0.2]
        #expect(p[0] == 0.5 && p[1] == 0.3 && p[2] == 0.2)
        #expect(p[.modelA] == 0.5 && p[.modelB] == 0.3 && p[.tie] == 0.2)
        #expect(Array(p) == [0.5, 0.3, 0.2])
        p[.tie] = 0.7
        p[1] = 0.1
        #expect(p == WinnerProbabilities(modelA: 0.5, modelB: 0.1, tie: 0.7))
        #expect(WinnerProbabilities { Double($0.rawValue) } == [0, 1, 2])
    }

    /// Anything but three values is refused where values come from data.
    @Test func exactlyThreeValues() {
        #expect(WinnerProbabilities([0.5, 0.5]) == nil)
        #expect(WinnerProbabilities([0.25, 0.25, 0.25, 0.25]) == nil)
        #expect(WinnerProbabilities([Double]()) == nil)
        #expect(WinnerProbabilities([0.2, 0.3, 0.5]) == [0.2, 0.3, 0.5])
        #expect(WinnerProbabilities.rows(ofFlat: [0.1, 0.2, 0.7, 1, 0, 0]) == [[Double(Float(0.1)), Double(Float(0.2)), Double(Float(0.7))], [1, 0, 0]])
        #expect(WinnerProbabilities.rows(ofFlat: [0.1, 0.2, 0.7, 1]) == nil)
        #expect(WinnerProbabilities.rows(ofFlat: []) == [])
    }

    /// The swap exchanges P(A) and P(B) as `Winner.swapped` exchanges the labels.
    @Test func swapFollowsTheLabelSwap() {
        let p: WinnerProbabilities = [0.6, 0.1, 0.3]
        #expect(p.swapped == [0.1, 0.6, 0.3])
        #expect(p.swapped.swapped == p)
        for winner in Winner.allCases { #expect(p.swapped[winner.swapped] == p[winner]) }
    }

    /// The lowest class index wins equal maxima, as numpy's argmax.
    @Test func mostLikelyBreaksTiesLow() {
        #expect(WinnerProbabilities([0.2, 0.5, 0.3])?.mostLikely == .modelB)
        #expect(WinnerProbabilities([0.4, 0.4, 0.2])?.mostLikely == .modelA)
        #expect(WinnerProbabilities([0.2, 0.4, 0.4])?.mostLikely == .modelB)
        #expect(WinnerProbabilities.uniform.mostLikely == .modelA)
    }

    /// JSON is the array [P(A), P(B), P(tie)], byte for byte what run files held as [Double].
    @Test func jsonIsTheArrayOfThree() throws {
        let p: WinnerProbabilities = [0.25, 0.5, 0.125]
        let encoded = try JSONEncoder().encode(p)
        #expect(encoded == (try JSONEncoder().encode([0.25, 0.5, 0.125])))
        #expect(try JSONDecoder().decode(WinnerProbabilities.self, from: encoded) == p)
        do {
            _ = try JSONDecoder().decode(WinnerProbabilities.self, from: Data("[0.5, 0.5]".utf8))
            Issue.record("two values were decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "2 probabilities; expected three, P(A), P(B), P(tie)")
        }
    }
}
