import CTorch

// Indexing, slicing, joining and splitting.

extension Tensor {
    /// `self[..., start:end:step, ...]` along `dim` (a view). Bounds are clipped as in Python.
    public func slice(dim: Int, start: Int = 0, end: Int = Int(Int64.max), step: Int = 1) throws -> Tensor {
        try Tensor.make("slice") { ctorch_slice(handle, Int64(dim), Int64(start), Int64(clamping: end), Int64(step), $0) }
    }

    /// `length` elements from `start` along `dim` (a view; the range must fit).
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        try Tensor.make("narrow") { ctorch_narrow(handle, Int64(dim), Int64(start), Int64(length), $0) }
    }

    /// The slice at `index` along `dim`, with that dimension removed (a view).
    public func select(dim: Int, index: Int) throws -> Tensor {
        try Tensor.make("select") { ctorch_select(handle, Int64(dim), Int64(index), $0) }
    }

    /// `self[index]`: the slice at `index` along the first dimension.
    public subscript(index: Int) -> Tensor {
        get throws { try select(dim: 0, index: index) }
    }

    /// `self[r0, r1, ...]`: one range per leading dimension (views).
    public subscript(ranges: Range<Int>...) -> Tensor {
        get throws {
            var result = self
            for (dim, range) in ranges.enumerated() {
                result = try result.slice(dim: dim, start: range.lowerBound, end: range.upperBound)
            }
            return result
        }
    }

    /// `torch.gather`: values along `dim` at the int64 positions in `index`.
    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        try Tensor.make("gather") { ctorch_gather(handle, Int64(dim), index.handle, $0) }
    }

    /// The slices along `dim` at the int64 positions in the 1-D `index`.
    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        try Tensor.make("indexSelect") { ctorch_index_select(handle, Int64(dim), index.handle, $0) }
    }

    /// Joins along an existing dimension.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        let handles: [OpaquePointer?] = tensors.map { $0.handle }
        return try withExtendedLifetime(tensors) {
            try make("cat") { out in handles.withUnsafeBufferPointer { ctorch_cat($0.baseAddress, $0.count, Int64(dim), out) } }
        }
    }

    /// Joins along a new dimension.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        let handles: [OpaquePointer?] = tensors.map { $0.handle }
        return try withExtendedLifetime(tensors) {
            try make("stack") { out in handles.withUnsafeBufferPointer { ctorch_stack($0.baseAddress, $0.count, Int64(dim), out) } }
        }
    }

    /// Pieces of `size` along `dim` (the last may be shorter).
    public func split(size: Int, dim: Int = 0) throws -> [Tensor] {
        try Tensor.makeArray("split") { ctorch_split(handle, Int64(size), Int64(dim), $0, $1) }
    }

    /// At most `count` nearly equal pieces along `dim`.
    public func chunk(_ count: Int, dim: Int = 0) throws -> [Tensor] {
        try Tensor.makeArray("chunk") { ctorch_chunk(handle, Int64(count), Int64(dim), $0, $1) }
    }
}
