import Testing
@testable import Torch

/// Expects `body` to throw `TorchError.libtorch` from the Swift operation `operation` (when
/// given) whose message contains `fragment`: libtorch 1.13's own words, found by running the
/// same call (python3-torch 1.13 shows the same words, except that it renames types such as
/// CPUFloatType to torch.FloatTensor), without the C++ backtrace.
private func expectLibtorchError(
    _ fragment: String, operation: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("no error; expected libtorch's \"\(fragment)\"", sourceLocation: sourceLocation)
    } catch let TorchError.libtorch(thrownOperation, message) {
        #expect(message.contains(fragment), "libtorch said: \(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("Exception raised from"), "the C++ backtrace is cut off: \(message)", sourceLocation: sourceLocation)
        if let operation {
            #expect(thrownOperation == operation, sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected TorchError.libtorch, got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct TorchErrorTests {
    let matrix: Tensor

    init() throws {
        matrix = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
    }

    @Test func matrixProductShapeMismatches() throws {
        expectLibtorchError("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", operation: "matmul") {
            _ = try matrix.matmul(Tensor.ones([4, 5]))
        }
        expectLibtorchError("Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]") {
            _ = try Tensor.ones([2, 2, 3]).matmul(Tensor.ones([2, 4, 5]))
        }
        expectLibtorchError("Expected size for first two dimensions of batch2 tensor", operation: "bmm") {
            _ = try Tensor.ones([2, 2, 3]).bmm(Tensor.ones([2, 4, 5]))
        }
        expectLibtorchError("batch1 must be a 3D tensor", operation: "bmm") { _ = try matrix.bmm(matrix) }
        expectLibtorchError("cannot be multiplied (2x3 and 4x5)", operation: "linear") {
            _ = try matrix.linear(weight: Tensor.ones([5, 4]))
        }
    }

    @Test func nonBroadcastableShapes() throws {
        expectLibtorchError("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1", operation: "+") {
            _ = try matrix + Tensor.ones([4])
        }
        expectLibtorchError("The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1", operation: "*") {
            _ = try matrix * Tensor.ones([3, 2])
        }
        expectLibtorchError("must match the size of tensor b (5)", operation: "mseLoss") {
            _ = try matrix.mseLoss(target: Tensor.ones([4, 5]))
        }
        expectLibtorchError("Sizes of tensors must match except in dimension 0", operation: "cat") {
            _ = try Tensor.cat([matrix, Tensor.ones([2, 2])], dim: 0)
        }
        expectLibtorchError("The expanded size of the tensor (3) must match the existing size (2)", operation: "expand") {
            _ = try matrix.expand([3, 3])
        }
        expectLibtorchError("Given normalized_shape=[4], expected input with shape [*, 4]", operation: "layerNorm") {
            _ = try matrix.layerNorm(normalizedShape: [4])
        }
    }

    @Test func wrongDTypes() throws {
        let weight = try Tensor.ones([4, 2])
        expectLibtorchError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got CPUFloatType instead",
            operation: "embedding"
        ) {
            _ = try Tensor.embedding(weight: weight, indices: Tensor([0, 1] as [Float]))
        }
        // Float targets of another shape than the logits are class indices of the wrong dtype.
        // libtorch 2.15's wording (1.13 said "expected scalar type Long but found Float").
        expectLibtorchError("expected target dtype to be Long or Byte, but got Float", operation: "crossEntropy") {
            _ = try Tensor.ones([3, 4]).crossEntropy(target: Tensor([0, 1, 2] as [Float]))
        }
        expectLibtorchError("index_select(): Expected dtype int32 or int64 for index", operation: "indexSelect") {
            _ = try matrix.indexSelect(dim: 0, index: Tensor([0] as [Float]))
        }
        expectLibtorchError("gather(): Expected dtype int32/int64 for index", operation: "gather") {
            _ = try matrix.gather(dim: 1, index: Tensor([0] as [Float], shape: [1, 1]))
        }
        expectLibtorchError("where expected condition to be a boolean tensor, but got a tensor with dtype Float", operation: "where") {
            _ = try Tensor.where(matrix, matrix, matrix)
        }
    }

    @Test func outOfRangeIndices() throws {
        expectLibtorchError("index out of range in self", operation: "indexSelect") {
            _ = try matrix.indexSelect(dim: 0, index: Tensor([0, 7] as [Int64]))
        }
        expectLibtorchError("select(): index 5 out of range for tensor of size [2, 3] at dimension 1", operation: "select") {
            _ = try matrix.select(dim: 1, index: 5)
        }
        expectLibtorchError("select(): index 2 out of range for tensor of size [2, 3] at dimension 0", operation: "select") {
            _ = try matrix[2]
        }
        expectLibtorchError("index 9 is out of bounds for dimension 1 with size 3", operation: "gather") {
            _ = try matrix.gather(dim: 1, index: Tensor([0, 9, 0, 1, 1, 1] as [Int64], shape: [2, 3]))
        }
        expectLibtorchError("index out of range in self", operation: "embedding") {
            _ = try Tensor.embedding(weight: matrix, indices: Tensor([5] as [Int64]))
        }
        expectLibtorchError("Target 7 is out of bounds.", operation: "crossEntropy") {
            _ = try Tensor.ones([3, 4]).crossEntropy(target: Tensor([0, 1, 7] as [Int64]))
        }
        expectLibtorchError("Dimension out of range (expected to be in range of [-2, 1], but got 3)", operation: "transpose") {
            _ = try matrix.transpose(0, 3)
        }
        expectLibtorchError("Dimension out of range (expected to be in range of [-2, 1], but got 2)", operation: "softmax") {
            _ = try matrix.softmax(dim: 2)
        }
        expectLibtorchError("start (2) + length (3) exceeds dimension size (3).", operation: "narrow") {
            _ = try matrix.narrow(dim: 1, start: 2, length: 3)
        }
    }

    @Test func incompatibleViews() throws {
        expectLibtorchError("shape '[4, 2]' is invalid for input of size 6", operation: "view") { _ = try matrix.view(4, 2) }
        expectLibtorchError("view size is not compatible with input tensor's size and stride", operation: "view") {
            _ = try matrix.transpose(0, 1).view(6)
        }
        // reshape copies where view cannot.
        #expect(try matrix.transpose(0, 1).reshape(6).floats() == [1, 4, 2, 5, 3, 6])
    }

    @Test func backwardMistakes() throws {
        let leaf = try Tensor.ones([2]).requiringGrad()
        expectLibtorchError("grad can be implicitly created only for scalar outputs", operation: "backward") {
            try (leaf * 2).backward()
        }
        expectLibtorchError("element 0 of tensors does not require grad and does not have a grad_fn", operation: "backward") {
            try Tensor.ones([2]).sum().backward()
        }
    }

    @Test func errorsCheckedInSwift() throws {
        #expect(throws: TorchError.dtypeMismatch(expected: .float32, actual: .int64, operation: "toArray")) {
            _ = try Tensor([1, 2] as [Int64]).toArray(Float.self)
        }
        #expect(throws: TorchError.dtypeMismatch(expected: .int64, actual: .float32, operation: "toArray")) {
            _ = try matrix.toArray(Int64.self)
        }
        let countMismatch = #expect(throws: TorchError.self) { _ = try Tensor([1, 2, 3] as [Float], shape: [2, 2]) }
        #expect(countMismatch == .invalidArgument("Tensor: shape [2, 2] holds 4 elements, 3 values given"))
        let negativeSize = #expect(throws: TorchError.self) { _ = try Tensor([] as [Float], shape: [-1]) }
        #expect(negativeSize == .invalidArgument("Tensor: shape [-1] has a negative size"))
    }

    /// A failed op leaves the library usable, and the message is the last call's, not a
    /// leftover of an earlier failure.
    @Test func anErrorDoesNotPoisonTheNextOp() throws {
        let t = try Tensor.ones([2, 2])
        expectLibtorchError("cannot be multiplied (2x2 and 3x3)") { _ = try t.matmul(Tensor.ones([3, 3])) }
        #expect(try t.matmul(t).floats() == [2, 2, 2, 2])
        #expect(try (t + 1).floats() == [2, 2, 2, 2])
        do {
            _ = try t.view(3)
            Issue.record("view(3) of 4 elements succeeded")
        } catch let TorchError.libtorch(_, message) {
            #expect(message == "shape '[3]' is invalid for input of size 4")
        }
        // Autograd still works after failures.
        let leaf = try Tensor([1, 2] as [Float]).requiringGrad()
        try (leaf * leaf).sum().backward()
        #expect(try leaf.grad?.floats() == [2, 4])
    }

    @Test func noGradScopeTurnsRecordingOff() throws {
        let w = try Tensor.ones([2]).requiringGrad()
        let inside = try withNoGrad { try (w * 2).matmul(w) }
        #expect(try inside.requiresGrad == false)
        #expect(try (w * 2).requiresGrad == true)
        let detached = try (w * 3).detach()
        #expect(try detached.requiresGrad == false)
        #expect(try w.isLeaf && !(w * 2).isLeaf)
        // Nested: grad mode can be turned back on inside.
        try withNoGrad { () throws -> Void in
            #expect(try withGradEnabled(true) { try (w * 2).requiresGrad } == true)
            #expect(try (w * 2).requiresGrad == false)
        }
    }

    @Test func noGradScopeRestoresTheModeWhenItsBodyThrows() throws {
        let w = try Tensor.ones([2]).requiringGrad()
        struct Stop: Error {}
        #expect(throws: Stop.self) { try withNoGrad { () throws -> Void in throw Stop() } }
        #expect(try (w * 2).requiresGrad == true)
        // A libtorch error inside the scope propagates as it is, and the mode comes back.
        expectLibtorchError("cannot be multiplied", operation: "matmul") {
            _ = try withNoGrad { try w.unsqueeze(0).matmul(Tensor.ones([3, 3])) }
        }
        #expect(try (w * 2).requiresGrad == true)
        // An enabling scope that throws inside a no-grad scope returns to no-grad.
        try withNoGrad { () throws -> Void in
            #expect(throws: Stop.self) { try withGradEnabled(true) { () throws -> Void in throw Stop() } }
            #expect(try (w * 2).requiresGrad == false)
        }
        #expect(try (w * 2).requiresGrad == true)
    }

    @Test func autocastRejectsWhatLibtorchCannotDo() throws {
        expectLibtorchError("CPU autocast supports only bfloat16", operation: "withAutocast") {
            try withAutocast(device: .cpu, dtype: .float16) {}
        }
        // The scope is restored after the refusal.
        let x = try Tensor.ones([2, 2])
        #expect(try x.matmul(x).dtype == .float32)
    }
}
