import CTorch

// Views and shape changes. Negative dimensions count from the end, as in PyTorch.

extension Tensor {
    func shaped(_ name: String, _ sizes: [Int], _ fn: (OpaquePointer, UnsafePointer<Int64>?, Int, UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        try Tensor.make(name) { out in withInt64s(sizes) { fn(handle, $0, $1, out) } }
    }

    /// A view with another shape (one size may be -1); the strides must allow it.
    public func view(_ shape: [Int]) throws -> Tensor { try shaped("view", shape, ctorch_view) }
    public func view(_ shape: Int...) throws -> Tensor { try view(shape) }
    /// A view when possible, else a copy.
    public func reshape(_ shape: [Int]) throws -> Tensor { try shaped("reshape", shape, ctorch_reshape) }
    public func reshape(_ shape: Int...) throws -> Tensor { try reshape(shape) }
    /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
    public func expand(_ shape: [Int]) throws -> Tensor { try shaped("expand", shape, ctorch_expand) }
    /// Tiles the tensor `repeats[i]` times along each dimension (copies).
    public func repeated(_ repeats: [Int]) throws -> Tensor { try shaped("repeat", repeats, ctorch_repeat) }
    public func permute(_ dims: [Int]) throws -> Tensor { try shaped("permute", dims, ctorch_permute) }
    public func permute(_ dims: Int...) throws -> Tensor { try permute(dims) }

    public func transpose(_ dim0: Int, _ dim1: Int) throws -> Tensor {
        try Tensor.make("transpose") { ctorch_transpose(handle, Int64(dim0), Int64(dim1), $0) }
    }

    public func contiguous() throws -> Tensor {
        try Tensor.make("contiguous") { ctorch_contiguous(handle, $0) }
    }

    public func unsqueeze(_ dim: Int) throws -> Tensor {
        try Tensor.make("unsqueeze") { ctorch_unsqueeze(handle, Int64(dim), $0) }
    }

    /// Removes dimension `dim` if its size is 1; with nil, every size-1 dimension.
    public func squeeze(_ dim: Int? = nil) throws -> Tensor {
        try Tensor.make("squeeze") { ctorch_squeeze(handle, dim != nil, Int64(dim ?? 0), $0) }
    }

    /// A view with explicit sizes, strides and storage offset, all in elements (`as_strided`).
    public func asStrided(shape: [Int], strides: [Int], offset: Int = 0) throws -> Tensor {
        guard shape.count == strides.count else {
            throw TorchError.invalidArgument("asStrided: \(shape.count) sizes but \(strides.count) strides")
        }
        let sizes64 = shape.map { Int64($0) }
        let strides64 = strides.map { Int64($0) }
        return try Tensor.make("asStrided") { out in
            sizes64.withUnsafeBufferPointer { s in
                strides64.withUnsafeBufferPointer { ctorch_as_strided(handle, s.baseAddress, $0.baseAddress, s.count, Int64(offset), out) }
            }
        }
    }

    public func flatten(startDim: Int = 0, endDim: Int = -1) throws -> Tensor {
        try Tensor.make("flatten") { ctorch_flatten(handle, Int64(startDim), Int64(endDim), $0) }
    }
}
