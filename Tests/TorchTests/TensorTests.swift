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
