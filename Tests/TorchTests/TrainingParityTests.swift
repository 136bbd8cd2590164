import Foundation
import Testing
@testable import Torch

/// The reference written by tools/make_training_fixtures.py with torch 2.15.0 from PyPI (tools/requirements.txt).
private struct TrainingFixture: Decodable {
    struct Values: Decodable {
        let shape: [Int]
        let values: [Double]

        func tensor() throws -> Tensor { try Tensor(values.map { Float($0) }, shape: shape) }
    }

    struct Batch: Decodable {
        let x: [Double]
        let y: [Int64]
    }

    struct MLP: Decodable {
        let initial: [String: Values]
        let batches: [Batch]
        let learning_rates: [Double]
        let losses: [Double]
        let grad_norms: [Double]
        let final: [String: Values]
    }

    struct Autocast: Decodable {
        let w1, b1, w2, x, float32, bfloat16: Values
        let bfloat16_dtype: String
    }

    let mlp: MLP
    let autocast: Autocast

    static func load() throws -> TrainingFixture {
        let url = try #require(Bundle.module.url(forResource: "training", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(TrainingFixture.self, from: Data(contentsOf: url))
    }
}

private func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
    zip(a, b).map { Swift.abs(Double($0) - $1) }.max() ?? 0
}

@Suite struct TrainingParityTests {
    /// 100 AdamW steps in Swift from the same weights and batches as PyTorch: parameter groups,
    /// label smoothing, gradient clipping and a learning rate changed before each step.
    @Test func mlpTrainedWithAdamWMatchesPyTorch() throws {
        let fixture = try TrainingFixture.load().mlp
        let names = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
        var parameters: [String: Tensor] = [:]
        for name in names {
            parameters[name] = try #require(fixture.initial[name]).tensor().requiringGrad()
        }
        let named = try names.map { (name: $0, tensor: try #require(parameters[$0])) }
        let groups = ParameterGroup.decayGroups(named: named, learningRate: 1e-2, weightDecay: 0.01)
        #expect(groups.map(\.parameters.count) == [2, 2])
        let optimizer = try Optimizer(.adamW(), groups: groups)
        let fc1w = try #require(parameters["fc1.weight"]), fc1b = try #require(parameters["fc1.bias"])
        let fc2w = try #require(parameters["fc2.weight"]), fc2b = try #require(parameters["fc2.bias"])

        var worstLoss = 0.0
        var worstNorm = 0.0
        for (step, batch) in fixture.batches.enumerated() {
            try optimizer.setLearningRate(fixture.learning_rates[step])
            let x = try Tensor(batch.x.map { Float($0) }, shape: [8, 16])
            let y = try Tensor(batch.y, shape: [8])
            let hidden = try x.linear(weight: fc1w, bias: fc1b).gelu()
            let logits = try hidden.linear(weight: fc2w, bias: fc2b)
            let loss = try logits.crossEntropy(target: y, labelSmoothing: 0.1)
            try loss.backward()
            let norm = try clipGradNorm(named.map(\.tensor), maxNorm: 1.0)
            try optimizer.step()
            try optimizer.zeroGrad()
            worstLoss = Swift.max(worstLoss, Swift.abs(try loss.item() - fixture.losses[step]))
            worstNorm = Swift.max(worstNorm, Swift.abs(norm - fixture.grad_norms[step]) / Swift.max(1, fixture.grad_norms[step]))
        }
        #expect(worstLoss < 1e-4, "largest loss difference over 100 steps: \(worstLoss)")
        #expect(worstNorm < 1e-4, "largest gradient-norm difference: \(worstNorm)")
        for name in names {
            let expected = try #require(fixture.final[name])
            let difference = maxAbsDifference(try #require(parameters[name]).floats(), expected.values)
            #expect(difference < 1e-4, "final \(name) differs by \(difference)")
        }
        // The weights moved: the test would notice an optimizer that does nothing.
        let initial = try #require(fixture.initial["fc1.weight"]).values
        let moved = maxAbsDifference(try fc1w.floats(), initial)
        #expect(moved > 0.05, "fc1.weight moved by \(moved)")
        #expect(try optimizer.learningRate(group: 1) == fixture.learning_rates[99])
    }

    /// A bfloat16 autocast forward is close to float32 and equal to PyTorch's own autocast output.
    @Test func autocastForwardMatchesFloat32AndPyTorch() throws {
        let fixture = try TrainingFixture.load().autocast
        let w1 = try fixture.w1.tensor(), b1 = try fixture.b1.tensor(), w2 = try fixture.w2.tensor()
        let x = try fixture.x.tensor()
        func forward() throws -> Tensor {
            var h = try x.linear(weight: w1, bias: b1)
            h = try h.layerNorm(normalizedShape: [64]).gelu()
            let scores = try h.matmul(h.transpose(1, 2)) / 8.0
            h = try scores.softmax(dim: -1).matmul(h)
            return try h.linear(weight: w2)
        }
        let reference = try forward()
        let mixed = try withAutocast(device: .cpu, dtype: .bfloat16) { try forward() }
        #expect(try reference.dtype == .float32)
        #expect(try mixed.dtype == .bfloat16)
        #expect(fixture.bfloat16_dtype == "bfloat16")
        let referenceValues = try reference.floats()
        let mixedValues = try mixed.floats()
        #expect(maxAbsDifference(referenceValues, fixture.float32.values) < 1e-5)
        #expect(maxAbsDifference(mixedValues, fixture.bfloat16.values) < 1e-6, "the same kernels as PyTorch's autocast")
        let scale = fixture.float32.values.map { Swift.abs($0) }.max() ?? 1
        let error = maxAbsDifference(mixedValues, fixture.float32.values)
        #expect(error / scale < 0.05, "bf16 relative error \(error / scale)")
        #expect(error > 0, "autocast changed nothing: bf16 was not used")
        // The scope is restored: the same forward outside it is float32 again.
        #expect(try forward().dtype == .float32)
    }

    /// Every handle is freed: 100,000 small ops leave no tensor alive and do not grow memory.
    @Test func hundredThousandOpsFreeEveryHandle() throws {
        let before = LibTorch.liveTensorHandlesOnThisThread
        let residentBefore = residentBytes()
        try withNoGrad {
            var accumulator = try Tensor.zeros([2048])
            let step = try Tensor.ones([2048])
            for index in 0..<100_000 {
                let scaled = try step * 0.5
                accumulator = try index % 2 == 0 ? accumulator + scaled : accumulator - scaled
            }
            #expect(try accumulator.floats().allSatisfy { $0 == 0 })
        }
        let residentAfter = residentBytes()
        #expect(LibTorch.liveTensorHandlesOnThisThread == before)
        // Each leaked op would hold 8 KiB of storage (over 780 MiB in all); other tests run in
        // parallel in this process and load models, so only a large growth is a finding (the
        // handle count above is the exact check).
        let grown = residentAfter - residentBefore
        #expect(grown < 256 << 20, "resident memory grew by \(grown >> 20) MiB")
    }
}

/// Resident set size of this process from /proc/self/statm.
private func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
