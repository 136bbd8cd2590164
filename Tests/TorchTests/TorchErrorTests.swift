import Testing
@testable import Torch

/// Expects `body` to throw TorchError.libtorch whose message contains `fragment` (libtorch's own
/// words, checked against libtorch 1.13).
private func expectLibtorchError(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("no error; expected one containing \"\(fragment)\"", sourceLocation: sourceLocation)
    } catch let TorchError.libtorch(_, message) {
        #expect(message.contains(fragment), "libtorch said: \(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("Exception raised from"), "the C++ backtrace is cut off", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct TorchErrorTests {
    @Test func shapeMismatchesCarryLibtorchsMessage() throws {
        let a = try Tensor.ones([2, 3])
        let b = try Tensor.ones([4, 5])
        expectLibtorchError("cannot be multiplied") { _ = try a.matmul(b) }
        expectLibtorchError("must match the size") { _ = try a + Tensor.ones([4])  }
        expectLibtorchError("invalid for input of size") { _ = try a.view(4, 2) }
        expectLibtorchError("must be a 3D tensor") { _ = try a.bmm(b) }
    }

    @Test func wrongDTypesAreRejected() throws {
        let weight = try Tensor.ones([4, 2])
        let floatIndices = try Tensor([0, 1] as [Float])
        expectLibtorchError("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int") {
            _ = try Tensor.embedding(weight: weight, indices: floatIndices)
        }
        #expect(throws: TorchError.dtypeMismatch(expected: .float32, actual: .int64, operation: "toArray")) {
            _ = try Tensor([1, 2] as [Int64]).toArray(Float.self)
        }
        #expect(throws: TorchError.self) { _ = try Tensor([1, 2, 3] as [Float], shape: [2, 2]) }
    }

    @Test func outOfRangeIndicesAreRejected() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        expectLibtorchError("out of range") { _ = try t.select(dim: 1, index: 5) }
        expectLibtorchError("out of range") { _ = try t.indexSelect(dim: 0, index: Tensor([0, 7] as [Int64])) }
        expectLibtorchError("out of bounds") { _ = try t.gather(dim: 1, index: Tensor([0, 9, 0, 1, 1, 1] as [Int64], shape: [2, 3])) }
        expectLibtorchError("out of range") { _ = try t.transpose(0, 3) }
        expectLibtorchError("out of range") { _ = try Tensor.embedding(weight: t, indices: Tensor([5] as [Int64])) }
    }

    /// A failed op leaves the library usable; the last error is per call, not sticky.
    @Test func anErrorDoesNotPoisonTheNextOp() throws {
        let t = try Tensor.ones([2, 2])
        #expect(throws: TorchError.self) { try t.matmul(Tensor.ones([3, 3])) }
        #expect(try t.matmul(t).floats() == [2, 2, 2, 2])
    }

    @Test func noGradScopeRestoresTheModeEvenWhenItThrows() throws {
        let w = try Tensor.ones([2]).requiringGrad()
        let inside = try withNoGrad { try w * 2 }
        #expect(try inside.requiresGrad == false)
        struct Stop: Error {}
        #expect(throws: Stop.self) { try withNoGrad { () throws -> Void in throw Stop() } }
        #expect(try (w * 2).requiresGrad == true)
        let detached = try (w * 3).detach()
        #expect(try detached.requiresGrad == false)
        #expect(try w.isLeaf && !(w * 2).isLeaf)
    }

    @Test func autocastRejectsWhatLibtorchCannotDo() throws {
        #expect(throws: TorchError.self) { try withAutocast(device: .cpu, dtype: .float16) {} }
        // The scope is restored after the refusal and after a normal exit.
        let x = try Tensor.ones([2, 2])
        #expect(try x.matmul(x).dtype == .float32)
    }
}
