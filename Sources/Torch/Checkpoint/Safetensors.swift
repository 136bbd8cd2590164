import Foundation

/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]},
/// "__metadata__": {...}}`, then the data. The file is memory-mapped and every offset is
/// checked against the file before any byte is read; a tensor is copied once, from the mapping
/// into libtorch.
public final class SafetensorsFile {
    public struct Entry: Equatable, Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range within the data section.
        public let range: Range<Int>
    }

    public let path: String
    /// Tensor names in data order.
    public let names: [String]
    public let metadata: [String: String]
    let entries: [String: Entry]
    let file: MappedFile
    let dataStart: Int

    /// Header lengths above this are corrupt, not a real header (the largest real ones are a few MB).
    static let maximumHeaderLength = 100 << 20

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        guard file.count >= 8 else {
            throw CheckpointError.truncated(file: path, detail: "\(file.count) bytes, fewer than the 8-byte header length")
        }
        let declared = file.littleEndian(at: 0, width: 8)
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw CheckpointError.corrupt(file: path, detail: "header length \(declared) bytes is not plausible")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= file.count else {
            throw CheckpointError.truncated(file: path, detail: "the header says \(headerLength) bytes but only \(file.count - 8) follow the length")
        }
        dataStart = 8 + headerLength
        let header: Any
        do {
            header = try JSONSerialization.jsonObject(with: Data(file.slice(8..<dataStart)))
        } catch {
            throw CheckpointError.corrupt(file: path, detail: "the header is not valid JSON")
        }
        guard let object = header as? [String: Any] else {
            throw CheckpointError.corrupt(file: path, detail: "the header is not a JSON object")
        }
        let dataSize = file.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw CheckpointError.corrupt(file: path, detail: "__metadata__ is not an object")
                }
                for (key, text) in pairs {
                    guard let text = text as? String else {
                        throw CheckpointError.corrupt(file: path, detail: "__metadata__ value \"\(key)\" is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            entries[name] = try Self.entry(name, value, dataSize: dataSize, file: path)
        }
        // Data ranges may not overlap.
        let ordered = entries.sorted { ($0.value.range.lowerBound, $0.key) < ($1.value.range.lowerBound, $1.key) }
        var end = 0
        var previous = ""
        for (name, entry) in ordered {
            if entry.range.lowerBound < end, !entry.range.isEmpty {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "data_offsets [\(entry.range.lowerBound), \(entry.range.upperBound)] overlap those of \"\(previous)\"")
            }
            if !entry.range.isEmpty {
                end = entry.range.upperBound
                previous = name
            }
        }
        self.entries = entries
        self.metadata = metadata
        names = ordered.map(\.key)
    }

    /// The dtype and shape of a tensor, nil when absent.
    public func info(_ name: String) -> (dtype: DType, shape: [Int])? {
        entries[name].map { ($0.dtype, $0.shape) }
    }

    /// The tensor `name` as a new CPU tensor.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw CheckpointError.missingTensor(file: path, tensor: name) }
        let range = (dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)
        return try Tensor(bytes: file.slice(range), shape: entry.shape, dtype: entry.dtype)
    }

    /// Every tensor by name.
    public func tensors() throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names { result[name] = try tensor(name) }
        return result
    }

    static let dtypeNames: [String: DType] = [
        "F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16, "I64": .int64,
        "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]

    static func name(of dtype: DType) -> String {
        dtypeNames.first { $0.value == dtype }?.key ?? "\(dtype)"
    }

    private static func entry(_ name: String, _ value: Any, dataSize: Int, file: String) throws -> Entry {
        guard let fields = value as? [String: Any] else {
            throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "expected an object with dtype, shape and data_offsets")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "missing \"dtype\"")
        }
        guard let dtype = dtypeNames[dtypeName] else {
            throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = fields["shape"] as? [Any] else {
            throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "missing \"shape\" (expected a list of sizes)")
        }
        var shape: [Int] = []
        var elements = 1
        for value in shapeValues {
            guard let size = integer(value), size >= 0 else {
                throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "shape \(shapeValues) has a size that is not a non-negative integer")
            }
            shape.append(size)
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "shape \(shape) is too large") }
            elements = product
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = integer(offsets[0]), let end = integer(offsets[1]) else {
            throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "missing \"data_offsets\" (expected [begin, end])")
        }
        guard begin >= 0, end >= begin else {
            throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "data_offsets [\(begin), \(end)] are not an ordered range")
        }
        guard end <= dataSize else {
            throw CheckpointError.truncated(file: file, detail: "tensor \"\(name)\" needs bytes [\(begin), \(end)) of the data but the data section has \(dataSize) bytes")
        }
        let (needed, overflow) = elements.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, end - begin == needed else {
            throw CheckpointError.invalidTensor(file: file, tensor: name, detail: "data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(needed)")
        }
        return Entry(dtype: dtype, shape: shape, range: begin..<end)
    }

    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double == double.rounded(), Swift.abs(double) < 9.0e15 else { return nil }
        return number.intValue
    }
}

/// Reading and writing safetensors files.
public enum Safetensors {
    /// Every tensor of the file by name (CPU).
    public static func read(path: String) throws -> [String: Tensor] {
        try SafetensorsFile(path: path).tensors()
    }

    /// Writes `tensors` (any device; copied to the CPU one at a time) with `metadata`. Tensors
    /// are laid out as the Python package lays them out (larger dtypes first, then by name) and
    /// the header is padded with spaces to a multiple of 8 bytes. The file appears atomically:
    /// it is written beside `path` under a temporary name, then renamed.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        var seen = Set<String>()
        for (name, _) in tensors where !seen.insert(name).inserted {
            throw CheckpointError.cannotWrite(file: path, reason: "the tensor name \"\(name)\" is given twice")
        }
        struct Item { let name: String; let tensor: Tensor; let dtype: DType; let shape: [Int]; let size: Int }
        var items: [Item] = []
        for (name, tensor) in tensors {
            let dtype = try tensor.dtype
            let shape = try tensor.shape
            items.append(Item(name: name, tensor: tensor, dtype: dtype, shape: shape, size: try tensor.elementCount * dtype.byteCount))
        }
        items.sort { ($0.dtype.byteCount, $1.name) > ($1.dtype.byteCount, $0.name) }
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for item in items {
            let shape = item.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(item.name)):{\"dtype\":\"\(SafetensorsFile.name(of: item.dtype))\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + item.size)]}")
            offset += item.size
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
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

    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
