import Foundation
import Testing
@testable import Torch

@Suite struct OptimizerTests {
    /// loss = sum(w²): gradient 2w; one SGD step of 0.1 from w = [1, -2] gives [0.8, -1.6].
    @Test func sgdStepMatchesHandComputation() throws {
        let w = try Tensor([1, -2] as [Float]).requiringGrad()
        let optimizer = try Optimizer(.sgd(), groups: [ParameterGroup(parameters: [w], learningRate: 0.1)])
        try (w * w).sum().backward()
        #expect(try w.grad?.toArray(Float.self) == [2, -4])
        try optimizer.step()
        let values = try w.toArray(Float.self)
        #expect(Swift.abs(values[0] - 0.8) < 1e-7 && Swift.abs(values[1] + 1.6) < 1e-7)
        try optimizer.zeroGrad()
        #expect(try w.grad == nil)
    }

    /// Learning rates are per group and change between steps.
    @Test func learningRatesArePerGroupAndChangeable() throws {
        let a = try Tensor([1] as [Float]).requiringGrad()
        let b = try Tensor([1] as [Float]).requiringGrad()
        let optimizer = try Optimizer(.sgd(), groups: [
            ParameterGroup(parameters: [a], learningRate: 0.1),
            ParameterGroup(parameters: [b], learningRate: 0.5),
        ])
        #expect(try optimizer.learningRate(group: 0) == 0.1)
        #expect(try optimizer.learningRate(group: 1) == 0.5)
        try (a + b).sum().backward()
        try optimizer.step()
        #expect(try a.toArray(Float.self) == [0.9])
        #expect(try b.toArray(Float.self) == [0.5])
        try optimizer.setLearningRate(0.25)
        #expect(try optimizer.learningRate(group: 1) == 0.25)
        #expect(throws: TorchError.self) { try optimizer.learningRate(group: 2) }
    }

    @Test func decayGroupsExemptBiasesAndLayerNorms() throws {
        let t = try Tensor.zeros([1])
        let names = ["encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.bias",
                     "encoder.layer.0.output.LayerNorm.weight", "embeddings.word_embeddings.weight"]
        let groups = ParameterGroup.decayGroups(named: names.map { (name: $0, tensor: t) }, learningRate: 1e-3, weightDecay: 0.01)
        #expect(groups.count == 2)
        #expect(groups[0].parameters.count == 2 && groups[0].weightDecay == 0.01)
        #expect(groups[1].parameters.count == 2 && groups[1].weightDecay == 0)
        #expect(throws: TorchError.self) { try Optimizer(.adamW(), groups: []) }
    }

    /// Saving the optimizer state after 5 of 10 Adam steps and loading it into a fresh optimizer
    /// ends where 10 uninterrupted steps end (the moments and step counts were restored).
    @Test func stateSavedAndLoadedResumesExactly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-optimizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let start: [Float] = [0.5, -1.5, 2.0]
        func train(_ w: Tensor, _ optimizer: Optimizer, steps: Range<Int>) throws {
            for step in steps {
                let target = try Tensor([Float(step), 1, -1])
                try (w - target).square().sum().backward()
                try optimizer.step()
                try optimizer.zeroGrad()
            }
        }
        let straight = try Tensor(start).requiringGrad()
        let straightOptimizer = try Optimizer(.adam(), groups: [ParameterGroup(parameters: [straight], learningRate: 0.1)])
        try train(straight, straightOptimizer, steps: 0..<10)

        let first = try Tensor(start).requiringGrad()
        let firstOptimizer = try Optimizer(.adam(), groups: [ParameterGroup(parameters: [first], learningRate: 0.1)])
        try train(first, firstOptimizer, steps: 0..<5)
        let path = folder.appendingPathComponent("optimizer.pt").path
        try firstOptimizer.save(toFile: path)

        let resumed = try Tensor(first.floats()).requiringGrad()
        let resumedOptimizer = try Optimizer(.adam(), groups: [ParameterGroup(parameters: [resumed], learningRate: 0.1)])
        try resumedOptimizer.load(fromFile: path)
        try train(resumed, resumedOptimizer, steps: 5..<10)
        #expect(try resumed.floats() == straight.floats())

        // Without the state, Adam's bias correction restarts and the result differs.
        let restarted = try Tensor(first.floats()).requiringGrad()
        let restartedOptimizer = try Optimizer(.adam(), groups: [ParameterGroup(parameters: [restarted], learningRate: 0.1)])
        try train(restarted, restartedOptimizer, steps: 5..<10)
        #expect(try restarted.floats() != straight.floats())
        #expect(throws: TorchError.self) { try resumedOptimizer.load(fromFile: folder.appendingPathComponent("missing.pt").path) }
    }

    /// clip_grad_norm_ returns the norm before clipping and scales gradients to maxNorm.
    @Test func clipGradNormScalesToTheLimit() throws {
        let w = try Tensor([3, 4] as [Float]).requiringGrad()
        try (w * w).sum().backward() // gradient [6, 8], norm 10
        let norm = try clipGradNorm([w], maxNorm: 1)
        #expect(Swift.abs(norm - 10) < 1e-6)
        let grad = try #require(try w.grad).toArray(Float.self)
        #expect(Swift.abs(grad[0] - 0.6) < 1e-5 && Swift.abs(grad[1] - 0.8) < 1e-5)
    }
}

@Suite struct DeviceTests {
    @Test func parsesDeviceNames() throws {
        #expect(try Device(parsing: "cpu") == .cpu)
        #expect(try Device(parsing: "CUDA:1") == .cuda(1))
        #expect(try Device(parsing: "cuda") == .cuda(0))
        #expect(throws: TorchError.self) { try Device(parsing: "tpu") }
        #expect(throws: TorchError.self) { try Device(parsing: "cuda:-1") }
    }

    /// Debian's libtorch is CPU-only: `best` is the CPU and moving to CUDA fails with libtorch's
    /// message instead of crashing.
    @Test func cudaIsAbsentOnACPUBuild() throws {
        guard Device.cudaDeviceCount == 0 else { return }
        #expect(Device.best == .cpu)
        let t = try Tensor.ones([2])
        #expect(throws: TorchError.self) { try t.to(.cuda(0)) }
        #expect(LibTorch.version.hasPrefix("1.") || LibTorch.version.hasPrefix("2."))
    }
}
