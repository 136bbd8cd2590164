import CTorch

/// A libtorch tensor. The class owns one shim handle and frees it in `deinit`; several
/// `Tensor`s may view the same storage (results of view, slice, ...), exactly as in PyTorch.
///
/// Every operation `throws` a ``TorchError`` carrying libtorch's message when libtorch rejects
/// it (a shape mismatch, a wrong dtype, an index out of range).
public final class Tensor {
    let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        ctorch_tensor_free(handle)
    }

    // MARK: Creation

    /// A CPU tensor holding `values` in row-major order; `shape` defaults to `[values.count]`.
    public convenience init<Element: TensorElement>(_ values: [Element], shape: [Int]? = nil) throws {
        let shape = shape ?? [values.count]
        let count = try Tensor.elementCount(shape)
        guard count == values.count else {
            throw TorchError.invalidArgument("Tensor: shape \(shape) holds \(count) elements, \(values.count) values given")
        }
        let handle = try values.withUnsafeBytes { bytes in
            try Tensor.makeHandle(bytes: UnsafeRawBufferPointer(bytes), shape: shape, dtype: Element.dtype)
        }
        self.init(handle: handle)
    }

    /// A CPU tensor from raw little-endian bytes of `dtype` in row-major order (copied).
    public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws {
        self.init(handle: try Tensor.makeHandle(bytes: bytes, shape: shape, dtype: dtype))
    }

    /// A zero-dimensional tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full([], value: value, dtype: dtype, device: device)
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, value: 0, dtype: dtype, device: device)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, value: 1, dtype: dtype, device: device)
    }

    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try make("full") { out in
            withInt64s(shape) { ctorch_full($0, $1, value, dtype.rawValue, device.typeCode, device.indexCode, out) }
        }
    }

    /// `start, start + step, ...` below `end`, as `torch.arange`: int64 when all three are whole
    /// numbers, else float32, unless `dtype` says otherwise.
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType? = nil, device: Device = .cpu) throws -> Tensor {
        let whole = [start, end, step].allSatisfy { $0 == $0.rounded() }
        let type = dtype ?? (whole ? .int64 : .float32)
        return try make("arange") { ctorch_arange(start, end, step, type.rawValue, device.typeCode, device.indexCode, $0) }
    }

    /// `0, 1, ...` below `end` (`torch.arange(end)`).
    public static func arange(_ end: Double, dtype: DType? = nil, device: Device = .cpu) throws -> Tensor {
        try arange(0, end, dtype: dtype, device: device)
    }

    /// Uniform on [0, 1). `generator` nil uses libtorch's global generator (see ``LibTorch/manualSeed(_:)``).
    public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) throws -> Tensor {
        try make("rand") { out in
            withInt64s(shape) { ctorch_rand($0, $1, dtype.rawValue, device.typeCode, device.indexCode, generator?.handle, out) }
        }
    }

    /// Standard normal.
    public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) throws -> Tensor {
        try make("randn") { out in
            withInt64s(shape) { ctorch_randn($0, $1, dtype.rawValue, device.typeCode, device.indexCode, generator?.handle, out) }
        }
    }

    /// Uniform int64 values in `range`.
    public static func randint(_ range: Range<Int>, shape: [Int], device: Device = .cpu, generator: Generator? = nil) throws -> Tensor {
        try make("randint") { out in
            withInt64s(shape) { ctorch_randint(Int64(range.lowerBound), Int64(range.upperBound), $0, $1, device.typeCode, device.indexCode, generator?.handle, out) }
        }
    }

    /// A random permutation of `0..<count` (int64, CPU).
    public static func randperm(_ count: Int, generator: Generator? = nil) throws -> Tensor {
        try make("randperm") { ctorch_randperm(Int64(count), generator?.handle, $0) }
    }

    // MARK: Metadata

    public var shape: [Int] {
        get throws {
            var rank: Int64 = 0
            try check(ctorch_tensor_rank(handle, &rank), "shape")
            var sizes = [Int64](repeating: 0, count: Int(rank))
            try check(sizes.withUnsafeMutableBufferPointer { ctorch_tensor_shape(handle, $0.baseAddress, $0.count) }, "shape")
            return sizes.map { Int($0) }
        }
    }

    public var rank: Int {
        get throws {
            var rank: Int64 = 0
            try check(ctorch_tensor_rank(handle, &rank), "rank")
            return Int(rank)
        }
    }

    /// The number of elements.
    public var elementCount: Int {
        get throws {
            var count: Int64 = 0
            try check(ctorch_tensor_numel(handle, &count), "elementCount")
            return Int(count)
        }
    }

    public var dtype: DType {
        get throws {
            var code: Int32 = 0
            try check(ctorch_tensor_dtype(handle, &code), "dtype")
            return try DType(code: code)
        }
    }

    public var device: Device {
        get throws {
            var type: Int32 = 0
            var index: Int32 = 0
            try check(ctorch_tensor_device(handle, &type, &index), "device")
            return try Device(type: type, index: index)
        }
    }

    /// The size of one dimension (negative counts from the end).
    public func size(_ dim: Int) throws -> Int {
        let shape = try self.shape
        let index = dim < 0 ? dim + shape.count : dim
        guard shape.indices.contains(index) else {
            throw TorchError.invalidArgument("size: dimension \(dim) is out of range for a tensor of rank \(shape.count)")
        }
        return shape[index]
    }

    // MARK: Values back to Swift

    /// The elements in row-major order; `Element` must match the tensor's dtype (convert with
    /// ``to(_:)`` first). Works for tensors on any device and with any strides.
    public func toArray<Element: TensorElement>(_ type: Element.Type = Element.self) throws -> [Element] {
        let actual = try dtype
        guard actual == Element.dtype else {
            throw TorchError.dtypeMismatch(expected: Element.dtype, actual: actual, operation: "toArray")
        }
        let count = try elementCount
        return try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            try check(ctorch_tensor_copy_to_bytes(handle, raw.baseAddress, raw.count), "toArray")
            initialized = count
        }
    }

    /// The elements as Float, converting from any dtype.
    public func floats() throws -> [Float] {
        try (dtype == .float32 ? self : to(.float32)).toArray(Float.self)
    }

    /// The elements as Double, converting from any dtype.
    public func doubles() throws -> [Double] {
        try (dtype == .float64 ? self : to(.float64)).toArray(Double.self)
    }

    /// The elements as Int64, converting from any dtype.
    public func int64s() throws -> [Int64] {
        try (dtype == .int64 ? self : to(.int64)).toArray(Int64.self)
    }

    /// The raw bytes of the elements (row-major, the tensor's dtype, little-endian).
    public func bytes() throws -> [UInt8] {
        let count = try elementCount * dtype.byteCount
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try check(ctorch_tensor_copy_to_bytes(handle, buffer.baseAddress, count), "bytes")
            initialized = count
        }
    }

    /// The value of a one-element tensor.
    public func item() throws -> Double {
        var value = 0.0
        try check(ctorch_tensor_item(handle, &value), "item")
        return value
    }

    // MARK: Helpers for the wrappers

    static func makeHandle(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> OpaquePointer {
        var out: OpaquePointer?
        try check(withInt64s(shape) { ctorch_tensor_from_bytes(bytes.baseAddress, bytes.count, $0, $1, dtype.rawValue, &out) }, "Tensor(bytes:)")
        guard let out else { throw TorchError.libtorch(operation: "Tensor(bytes:)", message: "no tensor returned") }
        return out
    }

    static func elementCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for size in shape {
            guard size >= 0 else { throw TorchError.invalidArgument("Tensor: shape \(shape) has a negative size") }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw TorchError.invalidArgument("Tensor: shape \(shape) is too large") }
            count = product
        }
        return count
    }

    /// Runs a shim function that writes one new tensor and wraps it.
    static func make(_ operation: @autoclosure () -> String, _ body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        var out: OpaquePointer?
        try check(body(&out), operation())
        guard let out else { throw TorchError.libtorch(operation: operation(), message: "no tensor returned") }
        return Tensor(handle: out)
    }

    /// Wraps an array of handles written by split/chunk, taking ownership of each.
    static func makeArray(_ operation: String, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<OpaquePointer?>?>, UnsafeMutablePointer<Int>) -> Int32) throws -> [Tensor] {
        var array: UnsafeMutablePointer<OpaquePointer?>?
        var count = 0
        try check(body(&array, &count), operation)
        guard let array else { return [] }
        defer { ctorch_tensor_array_free(array) }
        var result: [Tensor] = []
        result.reserveCapacity(count)
        var missing = false
        for index in 0..<count {
            if let handle = array[index] { result.append(Tensor(handle: handle)) } else { missing = true }
        }
        if missing { throw TorchError.libtorch(operation: operation, message: "a NULL tensor was returned") }
        return result
    }
}

/// Passes `values` to `body` as a C array of int64 and its length.
@inline(__always)
func withInt64s<R>(_ values: [Int], _ body: (UnsafePointer<Int64>?, Int) throws -> R) rethrows -> R {
    let converted = values.map { Int64($0) }
    return try converted.withUnsafeBufferPointer { try body($0.baseAddress, $0.count) }
}

extension Tensor: CustomStringConvertible {
    /// libtorch's printout of the tensor (values, dtype, shape).
    public var description: String {
        var text: UnsafeMutablePointer<CChar>?
        guard ctorch_tensor_description(handle, &text) == 0, let text else {
            return "Tensor(<\(lastError())>)"
        }
        defer { ctorch_string_free(text) }
        return String(cString: text)
    }
}
