import Foundation
import Testing
@testable import Torch

@Suite struct TensorTests {
    @Test func roundTripsValuesShapeAndDType() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(try t.shape == [2, 3])
        #expect(try t.dtype == .float32)
        #expect(try t.device == .cpu)
        #expect(try t.toArray(Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(try t.transpose(0, 1).toArray(Float.self) == [1, 4, 2, 5, 3, 6])
        let sum = try (t * 2 + 1).sum()
        #expect(try sum.item() == 48)
    }
}

@Suite struct LibraryTests {
    /// LibTorch.keepFreedMemory() changes the whole process's malloc, so it is exercised by the
    /// `arena embed` CLI tests (their own processes), not here where tests share one process.
    /// The pinned libtorch (scripts/setup-libtorch.sh, Package.swift's pinnedTorch).
    @Test func versionIsThePinnedOne() {
        #expect(LibTorch.version == "2.15.0")
    }
}

@Suite struct SiLUTests {
    /// `silu` is x · sigmoid(x) (torch.nn.functional.silu), with its gradient sigmoid(x)(1 + x(1 - sigmoid(x))).
    @Test func siluIsXTimesSigmoid() throws {
        let values: [Float] = [-6, -1.5, -0.25, 0, 0.5, 2, 7]
        let x = try Tensor(values).requiringGrad()
        let y = try x.silu()
        for (value, expected) in zip(try y.floats(), values.map { $0 / (1 + Foundation.exp(-$0)) }) {
            #expect(Swift.abs(value - expected) < 1e-6)
        }
        try y.sum().backward()
        let gradient = try #require(try x.grad)
        let grad = try gradient.floats()
        for (value, x) in zip(grad, values) {
            let s = 1 / (1 + Foundation.exp(-x))
            #expect(Swift.abs(value - s * (1 + x * (1 - s))) < 1e-6)
        }
    }
}
