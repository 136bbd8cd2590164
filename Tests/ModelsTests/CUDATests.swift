import Foundation
import Testing
@testable import Models
import Torch

/// The CUDA path, where libtorch sees a GPU (a build with `scripts/setup-libtorch.sh --cuda` on a
/// machine with an NVIDIA GPU: `scripts/gpu-check.sh`). Skipped elsewhere: on the CPU build
/// these tests are reported as skipped, not passed.
@Suite(.enabled(if: Device.cudaDeviceCount > 0, "needs a CUDA build of libtorch and an NVIDIA GPU"))
struct CUDATests {
    let gpu = Device.cuda(0)

    /// Each op of the BERT path gives on the GPU what it gives on the CPU, forward and backward.
    @Test func opsMatchTheCPU() throws {
        let generator = try Generator(seed: 3)
        let x = try Tensor.randn([2, 5, 8], generator: generator)
        let w = try Tensor.randn([8, 8], generator: generator)
        let b = try Tensor.randn([8], generator: generator)
        func run(_ device: Device) throws -> (out: [Float], grad: [Float]) {
            let input = try x.to(device).requiringGrad()
            let q = try input.linear(weight: w.to(device), bias: b.to(device)).view([2, 5, 2, 4]).permute(0, 2, 1, 3)
            let mask = try Tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 1] as [Float], shape: [2, 1, 1, 5]).to(device)
            let additive = try (1.0 - mask) * -1e9
            let attended = try Tensor.scaledDotProductAttention(query: q, key: q, value: q, mask: additive)
            let normed = try attended.permute(0, 2, 1, 3).contiguous().view([2, 5, 8]).layerNorm(normalizedShape: [8]).gelu()
            let loss = try normed.softmax(dim: -1).sum()
            try loss.backward()
            return (try normed.to(.cpu).floats(), try #require(try input.grad).to(.cpu).floats())
        }
        let cpu = try run(.cpu)
        let cuda = try run(gpu)
        #expect(maxAbsDifference(cuda.out, cpu.out) < 1e-4)
        #expect(maxAbsDifference(cuda.grad, cpu.grad) < 1e-4)
    }

    /// The tiny BERT fixture on the GPU equals transformers' reference, as on the CPU.
    @Test func bertOnTheGPUMatchesTransformers() throws {
        let folder = try ModelFolder(path: try fixtureFolder("bert-tiny"))
        let (model, _) = try EncoderLoader.load(folder, device: gpu)
        let reference = try SafetensorsFile(path: folder.path + "/reference.safetensors")
        let hidden = try model.hiddenStates(
            inputIDs: reference.tensor("input_ids").to(gpu), attentionMask: reference.tensor("attention_mask").to(gpu),
            tokenTypeIDs: reference.tensor("token_type_ids").to(gpu))
        let difference = maxAbsDifference(try hidden.to(.cpu).floats(), try reference.tensor("last_hidden_state").floats())
        #expect(difference < 1e-4, "last hidden state differs by \(difference)")
        // Autocast: float16 and bfloat16 close to float32 (half-precision rounding).
        for dtype in [DType.float16, .bfloat16] {
            let mixed = try withAutocast(device: gpu, dtype: dtype) {
                try model.hiddenStates(
                    inputIDs: reference.tensor("input_ids").to(gpu), attentionMask: reference.tensor("attention_mask").to(gpu),
                    tokenTypeIDs: reference.tensor("token_type_ids").to(gpu))
            }
            let mixedDifference = maxAbsDifference(try mixed.to(.cpu, .float32).floats(), try hidden.to(.cpu).floats())
            #expect(mixedDifference < 0.1, "\(dtype) differs by \(mixedDifference)")
        }
    }

    /// Fused AdamW on the GPU updates as on the CPU.
    @Test func fusedAdamWMatchesTheCPU() throws {
        func train(_ device: Device) throws -> [Float] {
            let generator = try Generator(seed: 5)
            let w = try Tensor.randn([16, 4], generator: generator).to(device).requiringGrad()
            let x = try Tensor.randn([8, 16], generator: generator).to(device)
            let optimizer = try Optimizer(.adamW(fused: true), groups: [ParameterGroup(parameters: [w], learningRate: 1e-2, weightDecay: 0.01)])
            for _ in 0..<10 {
                try x.matmul(w).pow(2).mean().backward()
                try optimizer.step()
                try optimizer.zeroGrad()
            }
            return try w.to(.cpu).floats()
        }
        #expect(relativeDifference(try train(gpu), try train(.cpu)) < 1e-4)
    }
}
