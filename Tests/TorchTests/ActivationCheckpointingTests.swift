import Foundation
import Testing
import Torch

/// ``checkpointed(_:_:)``: the same values and gradients as the block run directly (dropout and
/// autocast included, since the recomputation restores the generator and the autocast state),
/// and a failing block reported as an error from the pass that ran it.
@Suite(.serialized) struct ActivationCheckpointingTests {
    struct Block {
        let weight: Tensor
        let bias: Tensor
        func callAsFunction(_ x: Tensor) throws -> Tensor {
            let hidden = try x.linear(weight: weight, bias: bias).tanh()
            return try hidden.dropout(probability: 0.3, training: true) * x.linear(weight: weight, bias: nil).sigmoid()
        }
    }

    /// Loss, input gradient and parameter gradients for one pass.
    func pass(checkpointing: Bool, autocast: Bool) throws -> (loss: [Float], grads: [[Float]]) {
        let generator = try Generator(seed: 11)
        let weight = try (Tensor.randn([6, 6], generator: generator) * 0.5).requiringGrad()
        let bias = try Tensor.randn([6], generator: generator).requiringGrad()
        let input = try Tensor.randn([4, 6], generator: generator).requiringGrad()
        let block = Block(weight: weight, bias: bias)
        let loss: Tensor = try LibTorch.withGlobalGenerator(seed: 5) {
            func forward() throws -> Tensor {
                let x = try input * 1.5
                let y = checkpointing ? try checkpointed(x) { try block($0) } : try block(x)
                return try checkpointing ? checkpointed(y) { try block($0) } : block(y)
            }
            let output = try autocast ? withAutocast(device: .cpu, dtype: .bfloat16, forward) : forward()
            let loss = try output.to(.float32).square().sum()
            // Draw from the generator between the passes: the recomputation must not see it.
            _ = try Tensor.randn([3]).dropout(probability: 0.5, training: true)
            try loss.backward()
            return loss
        }
        let grads = try [input, weight, bias].map { try #require(try $0.grad).floats() }
        return (try loss.floats(), grads)
    }

    @Test(arguments: [false, true])
    func gradientsEqualTheDirectBlock(autocast: Bool) throws {
        let direct = try pass(checkpointing: false, autocast: autocast)
        let recomputed = try pass(checkpointing: true, autocast: autocast)
        #expect(direct.loss == recomputed.loss)
        // float32: the same operations on the same values, so the same gradients. Under
        // autocast the recomputation's input is a leaf, whose bfloat16 cast autocast caches and
        // shares between the two uses of it (as in torch.utils.checkpoint): its two gradient
        // contributions meet in bfloat16, not float32, so they agree to bfloat16's precision.
        for (index, (a, b)) in zip(direct.grads, recomputed.grads).enumerated() {
            let difference = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            let scale = a.map { abs($0) }.max() ?? 0
            let tolerance: Float = autocast ? 8e-3 * max(scale, 1) : 1e-6
            #expect(difference <= tolerance, "gradient \(index) (autocast \(autocast)) differs by \(difference), scale \(scale)")
        }
    }

    /// Without recording the block simply runs; an input that needs no gradient still lets the
    /// block's parameters get theirs.
    @Test func frozenInputStillReachesParameters() throws {
        let weight = try Tensor.ones([3, 3]).requiringGrad()
        let input = try Tensor.ones([2, 3])
        let output = try checkpointed(input) { try $0.linear(weight: weight, bias: nil) }
        try output.sum().backward()
        #expect(try #require(try weight.grad).floats() == [Float](repeating: 2, count: 9))
        let plain = try withNoGrad { try checkpointed(input) { try $0 * 2 } }
        #expect(try plain.floats() == [Float](repeating: 2, count: 6))
        #expect(try !plain.requiresGrad)
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String { "the block refused" }
    }

    /// A block failing in the forward pass, or only in the recomputation, is an error of that
    /// pass carrying the block's message; nothing crashes.
    @Test func failuresAreErrors() throws {
        let input = try Tensor.ones([2]).requiringGrad()
        let forwardError = #expect(throws: TorchError.self) {
            _ = try checkpointed(input) { _ in throw Refused() }
        }
        #expect("\(String(describing: forwardError))".contains("the block refused"))
        var calls = 0
        let output = try checkpointed(input) { x in
            calls += 1
            if calls == 2 { throw Refused() }
            return try x * 3
        }
        let backwardError = #expect(throws: TorchError.self) { try output.sum().backward() }
        #expect("\(String(describing: backwardError))".contains("the block refused"))
    }
}
