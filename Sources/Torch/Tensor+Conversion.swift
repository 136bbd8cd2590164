import CTorch

extension Tensor {
    /// A copy in another dtype (the same tensor when it already is).
    public func to(_ dtype: DType) throws -> Tensor {
        try Tensor.make("to(\(dtype))") { ctorch_to(handle, dtype.rawValue, -1, -1, $0) }
    }

    /// A copy on another device (the same tensor when it already is there).
    public func to(_ device: Device) throws -> Tensor {
        try Tensor.make("to(\(device))") { ctorch_to(handle, -1, device.typeCode, device.indexCode, $0) }
    }

    public func to(_ device: Device, _ dtype: DType) throws -> Tensor {
        try Tensor.make("to(\(device), \(dtype))") { ctorch_to(handle, dtype.rawValue, device.typeCode, device.indexCode, $0) }
    }

    /// A copy with its own storage (keeps the autograd history, as `clone`).
    public func clone() throws -> Tensor {
        try Tensor.make("clone") { ctorch_clone(handle, $0) }
    }

    /// Another Swift reference to this very tensor (same storage, same autograd identity).
    public func shared() throws -> Tensor {
        try Tensor.make("shared") { ctorch_tensor_share(handle, $0) }
    }

    /// Copies `source`'s values into this tensor in place, outside autograd (loading weights).
    /// Shapes must be broadcastable; dtypes and devices are converted.
    public func copy(from source: Tensor) throws {
        try check(ctorch_copy_(handle, source.handle), "copy(from:)")
    }

    /// Sets every element to `value` in place, outside autograd.
    public func fill(_ value: Double) throws {
        try check(ctorch_fill_(handle, value), "fill")
    }
}
