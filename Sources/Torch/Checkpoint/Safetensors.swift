import Foundation

/// A safetensors file (https://github.com/huggingface/safetensors) opened for reading: an 8-byte
/// little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin,
/// end]}, "__metadata__": {string: string}}`, then the data.
///
/// The file is memory-mapped and the header is checked as strictly as the Python package checks
/// it before any tensor is read: the ranges must lie in the data section, hold exactly
/// `product(shape) * dtype size` bytes, and tile the data section with no overlap, gap or
/// trailing bytes. A tensor is copied once, from the mapping into libtorch.
public final class SafetensorsFile {
    /// Where one tensor is and what it holds.
    public struct Entry: Equatable, Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range within the data section (which starts after the header).
        public let range: Range<Int>
    }

    public let path: String
    /// Tensor names in the order of their data in the file.
    public let names: [String]
    /// The `__metadata__` strings (empty when the file has none).
    public let metadata: [String: String]
    let entries: [String: Entry]
    let file: MappedFile
    let dataStart: Int

    /// The Python package's limit (`MAX_HEADER_SIZE`); a larger length is corruption, not a header.
    static let maximumHeaderLength = 100_000_000

    /// Maps the file and validates its header.
    /// - Throws: ``CheckpointError`` naming the file (and the tensor) when the file cannot be
    ///   opened, is cut short, or has a header that does not describe its data.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        guard file.count >= 8 else {
            throw CheckpointError.truncated(file: path, detail: "the file ends at byte \(file.count), inside the 8-byte header length")
        }
        let declared = file.littleEndian(at: 0, width: 8)
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw CheckpointError.corrupt(file: path, detail: "the header length is \(declared) bytes, more than the \(Self.maximumHeaderLength) a safetensors header may have")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= file.count else {
            throw CheckpointError.truncated(file: path, detail: "the file ends at byte \(file.count) but the header says it ends at byte \(8 + headerLength)")
        }
        dataStart = 8 + headerLength
        let header: Any
        do {
            header = try JSONSerialization.jsonObject(with: Data(file.slice(8..<dataStart)))
        } catch {
            throw CheckpointError.corrupt(file: path, detail: "the header (bytes 8..<\(dataStart)) is not valid JSON")
        }
        guard let object = header as? [String: Any] else {
            throw CheckpointError.corrupt(file: path, detail: "the header is JSON but not an object")
        }
        let dataSize = file.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw CheckpointError.corrupt(file: path, detail: "__metadata__ is not an object of strings")
                }
                for (key, text) in pairs {
                    guard let text = text as? String else {
                        throw CheckpointError.corrupt(file: path, detail: "__metadata__ value \"\(key)\" is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            entries[name] = try Self.entry(name, value, dataSize: dataSize, dataStart: dataStart, file: path)
        }
        // As the Python package requires: sorted by offsets, each range starts where the previous
        // one ends, and the last one ends where the file ends.
        let ordered = entries.sorted {
            ($0.value.range.lowerBound, $0.value.range.upperBound, $0.key) < ($1.value.range.lowerBound, $1.value.range.upperBound, $1.key)
        }
        var end = 0
        var previous: String?
        for (name, entry) in ordered {
            let range = entry.range
            if range.lowerBound < end, let previous {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "data_offsets [\(range.lowerBound), \(range.upperBound)] overlap those of \"\(previous)\", which end at \(end)")
            }
            if range.lowerBound > end {
                let after = previous.map { "\"\($0)\" ends" } ?? "the data section starts"
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "data_offsets [\(range.lowerBound), \(range.upperBound)] leave a gap: \(after) at \(end)")
            }
            end = range.upperBound
            previous = name
        }
        guard end == dataSize else {
            throw CheckpointError.corrupt(file: path, detail: "the tensors cover \(end) bytes of data but the file has \(dataSize) after the header (it ends at byte \(file.count), expected \(dataStart + end))")
        }
        self.entries = entries
        self.metadata = metadata
        names = ordered.map(\.key)
    }

    /// The dtype and shape of a tensor, nil when absent.
    public func info(_ name: String) -> (dtype: DType, shape: [Int])? {
        entries[name].map { ($0.dtype, $0.shape) }
    }

    /// Where the tensor's data is and what it holds, nil when absent.
    public func entry(_ name: String) -> Entry? {
        entries[name]
    }

    /// The tensor `name` as a new CPU tensor (copied from the mapping).
    /// - Throws: ``CheckpointError/missingTensor(file:tensor:)`` when the file has no such tensor.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw CheckpointError.missingTensor(file: path, tensor: name) }
        let range = (dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)
        return try Tensor(bytes: file.slice(range), shape: entry.shape, dtype: entry.dtype)
    }

    /// Every tensor by name (CPU).
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names { result[name] = try tensor(name) }
        return result
    }

    // The safetensors dtype names, in the order of the Python package's `Dtype` enum
    // (safetensors/src/tensor.rs): its writer lays tensors out by this order, descending.
    // F8_E5M2, F8_E4M3, U16, U32 and U64 have no libtorch 1.13 dtype and are left out.
    static let dtypeOrder: [(name: String, dtype: DType)] = [
        ("BOOL", .bool), ("U8", .uint8), ("I8", .int8), ("I16", .int16), ("F16", .float16),
        ("BF16", .bfloat16), ("I32", .int32), ("F32", .float32), ("F64", .float64), ("I64", .int64),
    ]
    static let dtypeNames: [String: DType] = Dictionary(uniqueKeysWithValues: dtypeOrder.map { ($0.name, $0.dtype) })

    static func name(of dtype: DType) -> String {
        dtypeOrder.first { $0.dtype == dtype }?.name ?? "\(dtype)"
    }

    static func rank(of dtype: DType) -> Int {
        dtypeOrder.firstIndex { $0.dtype == dtype } ?? 0
    }

    private static func entry(_ name: String, _ value: Any, dataSize: Int, dataStart: Int, file: String) throws -> Entry {
        func invalid(_ detail: String) -> CheckpointError { .invalidTensor(file: file, tensor: name, detail: detail) }
        guard let fields = value as? [String: Any] else {
            throw invalid("expected an object with dtype, shape and data_offsets")
        }
        guard let dtypeName = fields["dtype"] as? String else { throw invalid("no \"dtype\" string") }
        guard let dtype = dtypeNames[dtypeName] else {
            throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = fields["shape"] as? [Any] else {
            throw invalid("no \"shape\" (expected a list of sizes)")
        }
        var shape: [Int] = []
        var elements = 1
        for value in shapeValues {
            guard let size = integer(value), size >= 0 else {
                throw invalid("shape \(shapeValues) has a size that is not a non-negative integer")
            }
            shape.append(size)
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw invalid("shape \(shape) has too many elements") }
            elements = product
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = integer(offsets[0]), let end = integer(offsets[1]), begin >= 0 else {
            throw invalid("no \"data_offsets\" (expected [begin, end], non-negative integers)")
        }
        guard end >= begin else {
            throw invalid("data_offsets [\(begin), \(end)] end before they begin")
        }
        guard end <= dataSize else {
            throw CheckpointError.truncated(file: file, detail: "tensor \"\(name)\" has data_offsets [\(begin), \(end)], bytes \(dataStart + begin)..<\(dataStart + end) of the file, but the file ends at byte \(dataStart + dataSize)")
        }
        let (needed, overflow) = elements.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, end - begin == needed else {
            throw invalid("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(overflow ? "more than the file" : "\(needed)")")
        }
        return Entry(dtype: dtype, shape: shape, range: begin..<end)
    }

    /// A JSON integer; not a boolean (which `JSONSerialization` also gives as an `NSNumber`) or
    /// a number with a fraction or exponent, which the Python package rejects too.
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let type = String(cString: number.objCType)
        guard ["s", "S", "i", "I", "l", "L", "q", "Q"].contains(type) else { return nil }
        return Int(number.stringValue)
    }
}

/// Reading and writing safetensors files.
public enum Safetensors {
    /// Every tensor of the file by name (CPU). See ``SafetensorsFile`` for what is checked.
    public static func read(path: String) throws -> [String: Tensor] {
        try SafetensorsFile(path: path).tensors()
    }

    /// Writes `tensors` (any device; copied to the CPU one at a time) with `metadata`.
    ///
    /// The bytes are those of the Python package's `save_file` for the same tensors and metadata:
    /// tensors laid out by dtype (its enum order, descending: I64, F64, F32, I32, BF16, F16, I16,
    /// I8, U8, BOOL) then by name, the header as compact JSON padded with spaces to a multiple of
    /// 8 bytes. Metadata keys are sorted; the Python package writes them in hash-map order, so
    /// with two or more keys its files differ from run to run and from this one in that order only.
    ///
    /// The file appears atomically: written beside `path` under a temporary name, flushed, then
    /// renamed over `path`.
    /// - Throws: ``CheckpointError/cannotWrite(file:reason:)`` for a repeated or reserved name or
    ///   an I/O failure; ``TorchError`` when a tensor cannot be read.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard seen.insert(name).inserted else {
                throw CheckpointError.cannotWrite(file: path, reason: "the tensor name \"\(name)\" is given twice")
            }
            guard name != "__metadata__" else {
                throw CheckpointError.cannotWrite(file: path, reason: "\"__metadata__\" is reserved for the metadata, not a tensor name")
            }
        }
        struct Item { let name: String; let tensor: Tensor; let dtype: DType; let shape: [Int]; let size: Int }
        var items: [Item] = []
        for (name, tensor) in tensors {
            let dtype = try tensor.dtype
            let shape = try tensor.shape
            items.append(Item(name: name, tensor: tensor, dtype: dtype, shape: shape, size: try tensor.elementCount * dtype.byteCount))
        }
        // Names compare as UTF-8 bytes, as Rust's String ordering does.
        items.sort { left, right in
            let (leftRank, rightRank) = (SafetensorsFile.rank(of: left.dtype), SafetensorsFile.rank(of: right.dtype))
            if leftRank != rightRank { return leftRank > rightRank }
            return left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let pairs = keys.map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for item in items {
            let shape = item.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(item.name)):{\"dtype\":\"\(SafetensorsFile.name(of: item.dtype))\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + item.size)]}")
            offset += item.size
        }
        var headerBytes = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)
        try AtomicWriter.write(to: path) { sink in
            var length = UInt64(headerBytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink($0) }
            try headerBytes.withUnsafeBytes { try sink($0) }
            for item in items {
                let bytes = try item.tensor.bytes()
                try bytes.withUnsafeBytes { try sink($0) }
            }
        }
    }

    /// A JSON string literal escaped as serde_json escapes it (the Python package's writer).
    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
