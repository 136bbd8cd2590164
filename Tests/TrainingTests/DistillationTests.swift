import ArenaData
import Foundation
import Testing
import Torch

@testable import Finetuning

/// The distillation loss, against values computed by hand in Double:
/// (1 - w) · CE + w · KL(t ‖ softmax(z)), and its gradient ((1 - w)(s - y) + w(s - t)) / rows.
@Suite struct DistillationTests {
    @Test func mixedLossAndGradientMatchTheFormula() throws {
        let logits: [[Double]] = [[0.3, -1.2, 0.5], [2.0, 0.1, -0.4]]
        let labels = [2, 0]
        let teacher: [WinnerProbabilities] = [[0.2, 0.1, 0.7], [0.0, 0.25, 0.75]]
        let weight = 0.3
        let z = try Tensor(logits.flatMap { $0.map(Float.init) }, shape: [2, 3]).requiringGrad()
        let ce = try z.crossEntropy(target: try Tensor(labels.map(Int64.init), shape: [2]))
        let loss = try Distillation.mixedLoss(logits: z, crossEntropy: ce, targets: teacher, weight: weight)
        try loss.backward()

        var expected = 0.0
        var gradient: [Double] = []
        for (row, values) in logits.enumerated() {
            let total = values.map { exp($0) }.reduce(0, +)
            let s = values.map { exp($0) / total }
            let crossEntropy = -log(s[labels[row]])
            let t = Array(teacher[row])
            let kl = zip(t, s).reduce(0.0) { $0 + ($1.0 > 0 ? $1.0 * log($1.0 / $1.1) : 0) }
            expected += ((1 - weight) * crossEntropy + weight * kl) / 2
            for k in 0..<3 {
                let y = k == labels[row] ? 1.0 : 0.0
                gradient.append(((1 - weight) * (s[k] - y) + weight * (s[k] - t[k])) / 2)
            }
        }
        let value = try loss.item()
        #expect(abs(value - expected) < 1e-6, "\(value) vs \(expected)")
        let grad = try #require(try z.grad)
        let computed = try grad.floats().map(Double.init)
        #expect(zip(computed, gradient).allSatisfy { abs($0 - $1) < 1e-6 }, "\(computed) vs \(gradient)")
    }
}
