import CTorch

// Reductions. `dims` empty reduces over every dimension.

extension Tensor {
    public func sum(dims: [Int] = [], keepDim: Bool = false, dtype: DType? = nil) throws -> Tensor {
        // Over every dimension with keepDim, PyTorch keeps them all as 1: name them.
        let dims = dims.isEmpty && keepDim ? Array(0..<(try rank)) : dims
        return try Tensor.make("sum") { out in
            withInt64s(dims) { ctorch_sum(handle, $0, $1, keepDim, dtype?.rawValue ?? -1, out) }
        }
    }

    public func sum(dim: Int, keepDim: Bool = false) throws -> Tensor { try sum(dims: [dim], keepDim: keepDim) }

    public func mean(dims: [Int] = [], keepDim: Bool = false, dtype: DType? = nil) throws -> Tensor {
        let dims = dims.isEmpty && keepDim ? Array(0..<(try rank)) : dims
        return try Tensor.make("mean") { out in
            withInt64s(dims) { ctorch_mean(handle, $0, $1, keepDim, dtype?.rawValue ?? -1, out) }
        }
    }

    public func mean(dim: Int, keepDim: Bool = false) throws -> Tensor { try mean(dims: [dim], keepDim: keepDim) }

    /// The largest values along `dim` and their int64 positions.
    public func max(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try reduceWithIndices("max", dim, keepDim, ctorch_max_dim)
    }

    public func min(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        try reduceWithIndices("min", dim, keepDim, ctorch_min_dim)
    }

    /// The largest element (a zero-dimensional tensor).
    public func max() throws -> Tensor { try Tensor.make("max") { ctorch_max_all(handle, $0) } }
    public func min() throws -> Tensor { try Tensor.make("min") { ctorch_min_all(handle, $0) } }

    public func argmax(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try Tensor.make("argmax") { ctorch_argmax(handle, Int64(dim), keepDim, $0) }
    }

    private func reduceWithIndices(
        _ name: String, _ dim: Int, _ keepDim: Bool,
        _ fn: (OpaquePointer, Int64, Bool, UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    ) throws -> (values: Tensor, indices: Tensor) {
        var values: OpaquePointer?
        var indices: OpaquePointer?
        try check(fn(handle, Int64(dim), keepDim, &values, &indices), name)
        guard let values, let indices else { throw TorchError.libtorch(operation: name, message: "no tensor returned") }
        return (Tensor(handle: values), Tensor(handle: indices))
    }
}
