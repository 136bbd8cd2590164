import ArenaData
import Evaluation
import Foundation
import Testing

@testable import FeatureModels
@testable import Finetuning
@testable import Pipelines
@testable import Prediction
@testable import Runs

@Suite struct TemperatureScalingTests {
    /// T = 2 takes square roots: [0.7, 0.2, 0.1] -> [√0.7, √0.2, √0.1] / (√0.7 + √0.2 + √0.1).
    @Test func appliesByHand() {
        let scaled = TemperatureScaling(temperature: 2).apply([0.7, 0.2, 0.1])
        let roots = [0.7, 0.2, 0.1].map { $0.squareRoot() }
        let total = roots.reduce(0, +)
        for (value, root) in zip(scaled, roots) { #expect(abs(value - root / total) < 1e-12) }
        #expect(TemperatureScaling(temperature: 1).apply([0.5, 0.3, 0.2]) == [0.5, 0.3, 0.2])
    }

    /// Labels drawn from q, predictions q sharpened with T = 0.5: the fit must find T ≈ 2.
    @Test func recoversTheTemperatureOfOverconfidentPredictions() throws {
        var random = SeededRandom(seed: 5)
        var predictions: [WinnerProbabilities] = []
        var labels: [Int] = []
        for _ in 0..<20_000 {
            let raw = (0..<3).map { _ in random.nextUnit() + 0.1 }
            let q = try #require(WinnerProbabilities(raw.map { $0 / raw.reduce(0, +) }))
            let u = random.nextUnit()
            labels.append(u < q[0] ? 0 : (u < q[0] + q[1] ? 1 : 2))
            predictions.append(TemperatureScaling(temperature: 0.5).apply(q))
        }
        let fitted = try TemperatureScaling.fit(probabilities: predictions, labels: labels)
        #expect(abs(fitted.temperature - 2) < 0.15, "fitted T = \(fitted.temperature)")
        let before = try Metrics.logLoss(probabilities: predictions, labels: labels)
        let after = try Metrics.logLoss(probabilities: fitted.apply(predictions), labels: labels)
        #expect(after < before)
    }
}

@Suite struct SwapAveragingTests {
    /// Whatever the two raw predictions, the combined prediction of a battle and that of its
    /// swap mirror each other exactly.
    @Test func combinedPredictionsAreSwapConsistent() {
        let direct: [WinnerProbabilities] = [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]]
        let swapped: [WinnerProbabilities] = [[0.4, 0.4, 0.2], [0.2, 0.2, 0.6]]
        let forward = SwapAveraging.combine(direct: direct, swapped: swapped)
        let backward = SwapAveraging.combine(direct: swapped, swapped: direct)
        for (a, b) in zip(forward, backward) {
            #expect(a[0] == b[1] && a[1] == b[0] && a[2] == b[2])
        }
        #expect(forward[0] == [0.45, 0.35, 0.2])
    }
}

@Suite struct EdgeCaseRuleTests {
    func battle(_ id: Int, _ a: String, _ b: String, _ winner: Winner) -> Battle {
        Battle(id: "\(id)", prompt: ["p"], responseA: [a], responseB: [b], winner: winner)
    }

    @Test func categories() {
        #expect(EdgeCaseRules.category(of: battle(0, "x", "x", .tie)) == .identicalResponses)
        #expect(EdgeCaseRules.category(of: battle(0, "", "", .tie)) == .identicalResponses)
        #expect(EdgeCaseRules.category(of: battle(0, " \n", "y", .tie)) == .emptyResponseA)
        #expect(EdgeCaseRules.category(of: battle(0, "y", "", .tie)) == .emptyResponseB)
        #expect(EdgeCaseRules.category(of: battle(0, "y", "z", .tie)) == nil)
    }

    /// Hand count: 4 identical rows, all ties, with their swapped copies 8 ties; the prior over
    /// all 10 rows and their swaps is A 0.3, B 0.3, tie 0.4; with 3 pseudo-counts:
    /// P = ([0, 0, 8] + 3 * [0.3, 0.3, 0.4]) / 11.
    @Test func answersAreSmoothedAndSymmetric() {
        var battles = (0..<4).map { battle($0, "same", "same", .tie) }
        battles += [battle(4, "", "text", .modelB), battle(5, "", "more", .modelB)]
        battles += (6..<10).map { battle($0, "a\($0)", "b\($0)", $0 % 2 == 0 ? .modelA : .modelB) }
        let answers = EdgeCaseRules.answers(from: battles)
        let identical = answers[.identicalResponses]!
        #expect(identical.rows == 4)
        let expected = [0.9 / 11, 0.9 / 11, 9.2 / 11]
        for (value, want) in zip(identical.probabilities, expected) { #expect(abs(value - want) < 1e-12) }
        // Empty A: 2 rows won by B; the swapped copies are empty-B rows won by A.
        let emptyA = answers[.emptyResponseA]!.probabilities
        let emptyB = answers[.emptyResponseB]!.probabilities
        #expect(emptyA[1] > 0.5)
        #expect(abs(emptyA[0] - emptyB[1]) < 1e-12 && abs(emptyA[1] - emptyB[0]) < 1e-12)
    }

    /// A model that is uniform on identical rows (always ties) loses to the rule, which is
    /// then enabled and applied only to those rows.
    @Test func selectsRulesThatLowerOutOfFoldLoss() throws {
        var battles: [Battle] = []
        for index in 0..<40 {
            battles.append(index % 4 == 0 ? battle(index, "same", "same", .tie) : battle(index, "a\(index)", "b\(index)", [.modelA, .modelB, .tie][index % 3]))
        }
        let folds = battles.indices.map { $0 % 5 }
        let uniform = Array(repeating: WinnerProbabilities.uniform, count: battles.count)
        let rules = try EdgeCaseRules.select(battles: battles, folds: folds, outOfFold: uniform)
        let rule = try #require(rules.rules[EdgeCaseRules.Case.identicalResponses.rawValue])
        #expect(rule.enabled)
        #expect(rule.ruleLogLoss! < rule.modelLogLoss!)
        let applied = rules.apply(to: uniform, battles: battles)
        #expect(applied[0] == rule.probabilities)
        #expect(applied[1] == uniform[1])
    }
}
