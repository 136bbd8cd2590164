import Foundation
import Testing
@testable import Torch

/// AdamW with the fused kernel (`torch.optim.AdamW(fused=True)`) against libtorch's loop
/// implementation: the same update up to rounding, with weight decay per group, learning rates
/// changed between steps, amsgrad, parameters without gradients, and states that load across.
@Suite struct FusedAdamWTests {
    /// A small regression problem; returns the parameters after `steps` steps.
    func train(fused: Bool, amsgrad: Bool, steps: Int, restartAt: Int? = nil, restartFused: Bool? = nil) throws -> [[Float]] {
        let generator = try Generator(seed: 11)
        let w1 = try (Tensor.randn([8, 16], generator: generator) * 0.3).requiringGrad()
        let b1 = try Tensor.zeros([16]).requiringGrad()
        let w2 = try (Tensor.randn([16, 3], generator: generator) * 0.3).requiringGrad()
        let unused = try Tensor.randn([4], generator: generator).requiringGrad()
        let x = try Tensor.randn([32, 8], generator: generator)
        let y = try Tensor.randn([32, 3], generator: generator)
        let groups = [
            ParameterGroup(parameters: [w1, w2], learningRate: 1e-2, weightDecay: 0.05),
            ParameterGroup(parameters: [b1, unused], learningRate: 1e-2, weightDecay: 0),
        ]
        var optimizer = try Optimizer(.adamW(amsgrad: amsgrad, fused: fused), groups: groups)
        let stateFile = FileManager.default.temporaryDirectory.appendingPathComponent("adamw-\(UUID().uuidString).pt").path
        defer { try? FileManager.default.removeItem(atPath: stateFile) }
        for step in 0..<steps {
            if step == restartAt {
                // Save, then continue with a new optimizer (of the other kind) that loads the state.
                try optimizer.save(toFile: stateFile)
                optimizer = try Optimizer(.adamW(amsgrad: amsgrad, fused: restartFused ?? fused), groups: groups)
                try optimizer.load(fromFile: stateFile)
            }
            try optimizer.setLearningRate(1e-2 * (1 - Double(step) / Double(steps)))
            let hidden = try (x.matmul(w1) + b1).gelu()
            let loss = try (hidden.matmul(w2) - y).pow(2).mean()
            try loss.backward()
            try optimizer.step()
            try optimizer.zeroGrad()
        }
        return try [w1, b1, w2, unused].map { try $0.toArray(Float.self) }
    }

    func maxRelativeDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a.joined(), b.joined()).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? .infinity
    }

    @Test(arguments: [false, true])
    func fusedEqualsTheLoopUpToRounding(amsgrad: Bool) throws {
        // One step: the same update to float32 rounding (a wrong bias correction, decay or
        // learning rate would differ by 1e-3 or more).
        #expect(maxRelativeDifference(try train(fused: true, amsgrad: amsgrad, steps: 1), try train(fused: false, amsgrad: amsgrad, steps: 1)) < 1e-6)
        // Forty steps: rounding differences grow through Adam's division by √v (measured 1.7e-5).
        let loop = try train(fused: false, amsgrad: amsgrad, steps: 40)
        let fused = try train(fused: true, amsgrad: amsgrad, steps: 40)
        #expect(maxRelativeDifference(fused, loop) < 1e-4)
        // It trained: the weights moved, and the parameter without a gradient did not.
        let start = try train(fused: true, amsgrad: amsgrad, steps: 0)
        #expect(maxRelativeDifference(fused, start) > 1e-2)
        #expect(fused[3] == start[3])
    }

    @Test func statesLoadAcrossImplementations() throws {
        let straight = try train(fused: true, amsgrad: false, steps: 30)
        let resumedFused = try train(fused: true, amsgrad: false, steps: 30, restartAt: 12)
        #expect(resumedFused == straight)
        let fromLoop = try train(fused: false, amsgrad: false, steps: 30, restartAt: 12, restartFused: true)
        #expect(maxRelativeDifference(fromLoop, straight) < 1e-4)
        #expect(maxRelativeDifference(fromLoop, straight) > 0)
    }
}
