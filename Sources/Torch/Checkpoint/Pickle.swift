/// The values the pickle subset of `torch.save` produces.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    /// Lists and dicts are references, as in Python: the memo and the stack share one object,
    /// so items added after it was memoized are seen through every reference.
    case list(PickleList)
    case dict(PickleDict)
    /// One of ``PickleReader/allowedGlobals``, not yet called.
    case global(module: String, name: String)
    /// A persistent id resolved to a storage of the archive.
    case storage(key: String, dtype: DType, elementCount: Int)
    case tensor(TensorReference)
    /// A value a state dict may carry but the reader has no use for (a `torch.device`, a layout).
    case opaque(String)

    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let module, let name): return "\(module).\(name)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .opaque(let type): return type
        }
    }
}

final class PickleList {
    var items: [PickleValue] = []
}

/// Keys in insertion order (an OrderedDict stays ordered).
final class PickleDict {
    var pairs: [(key: PickleValue, value: PickleValue)] = []
}

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`.
struct TensorReference {
    let storageKey: String
    let dtype: DType
    let storageElements: Int
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// A pickle machine for the opcodes `torch.save` writes (protocol 2, and the protocol 4 framing
/// opcodes), https://github.com/python/cpython/blob/3.11/Lib/pickle.py. It is strict: any other
/// opcode, and any global outside ``allowedGlobals``, is an error naming it; nothing is imported
/// or called, so a malicious file can do no more than fail to load.
struct PickleReader {
    let file: String
    let bytes: UnsafeRawBufferPointer
    var position = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    /// Every dict and list made, so that ``release()`` can break reference cycles a file may
    /// build (a dict that contains itself).
    private var containers: [(PickleDict?, PickleList?)] = []

    init(file: String, bytes: UnsafeRawBufferPointer) {
        self.file = file
        self.bytes = bytes
    }

    static let storageTypes: [String: DType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    /// The globals a `torch.save`d state dict refers to.
    static let allowedGlobals: Set<String> = Set([
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch.serialization._get_layout", "torch.device", "torch.Size",
    ] + storageTypes.keys.map { "torch.\($0)" })

    private func corrupt(_ detail: String) -> CheckpointError {
        .corrupt(file: file, detail: "data.pkl byte \(position): \(detail)")
    }

    private mutating func read(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw CheckpointError.truncated(file: file, detail: "data.pkl (\(bytes.count) bytes) ends inside an opcode at byte \(position), \(count) more bytes expected")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    private mutating func unsigned(_ width: Int) throws -> Int {
        let raw = try read(width)
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(raw[index]) << (8 * UInt64(index)) }
        guard value <= UInt64(Int.max) else { throw corrupt("a length of \(value) bytes") }
        return Int(value)
    }

    private mutating func line() throws -> String {
        var end = position
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        guard end < bytes.count else { throw CheckpointError.truncated(file: file, detail: "data.pkl ends inside a GLOBAL name at byte \(position)") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return text
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw corrupt("the stack is empty") }
        if let mark = marks.last, stack.count < mark { throw corrupt("popped past a MARK") }
        return value
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last else { throw corrupt("the stack is empty") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw corrupt("no MARK") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func text(_ count: Int) throws -> String {
        String(decoding: try read(count), as: UTF8.self)
    }

    private mutating func newDict() -> PickleValue {
        let dict = PickleDict()
        containers.append((dict, nil))
        return .dict(dict)
    }

    private mutating func newList() -> PickleValue {
        let list = PickleList()
        containers.append((nil, list))
        return .list(list)
    }

    /// Empties every dict and list made, once the result has been used.
    mutating func release() {
        for (dict, list) in containers {
            dict?.pairs = []
            list?.items = []
        }
        containers = []
        memo = [:]
        stack = []
    }

    private func global(_ module: String, _ name: String) throws -> PickleValue {
        guard Self.allowedGlobals.contains("\(module).\(name)") else {
            throw CheckpointError.unknownPickleGlobal(file: file, global: "\(module).\(name)")
        }
        return .global(module: module, name: name)
    }

    /// Runs to STOP and returns the result.
    mutating func run() throws -> PickleValue {
        while true {
            let start = position
            let opcode = try read(1)[0]
            switch opcode {
            case 0x80: _ = try read(1) // PROTO
            case 0x95: _ = try read(8) // FRAME: a length hint for buffered readers
            case 0x2E: return try pop() // STOP
            case 0x28: marks.append(stack.count) // MARK
            case 0x7D: stack.append(newDict()) // EMPTY_DICT
            case 0x5D: stack.append(newList()) // EMPTY_LIST
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x4B: stack.append(.int(try unsigned(1))) // BININT1
            case 0x4D: stack.append(.int(try unsigned(2))) // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try unsigned(4))))) // BININT
            case 0x8A: // LONG1: little-endian two's complement of n bytes
                let count = try unsigned(1)
                let raw = try read(count)
                guard count <= 8 else { throw corrupt("an integer of \(count) bytes") }
                var value: UInt64 = 0
                for index in 0..<count { value |= UInt64(raw[index]) << (8 * UInt64(index)) }
                if count > 0, count < 8, raw[count - 1] & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(count)) }
                stack.append(.int(Int(Int64(bitPattern: value))))
            case 0x47: // BINFLOAT: big-endian double
                let raw = try read(8)
                var value: UInt64 = 0
                for index in 0..<8 { value = value << 8 | UInt64(raw[index]) }
                stack.append(.float(Double(bitPattern: value)))
            case 0x58: stack.append(.string(try text(try unsigned(4)))) // BINUNICODE
            case 0x8C: stack.append(.string(try text(try unsigned(1)))) // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(try unsigned(8)))) // BINUNICODE8
            case 0x43: stack.append(.bytes(Array(try read(try unsigned(1))))) // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try read(try unsigned(4))))) // BINBYTES
            case 0x63: // GLOBAL module\nname\n
                let module = try line()
                let name = try line()
                stack.append(try global(module, name))
            case 0x93: // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw corrupt("STACK_GLOBAL needs two strings")
                }
                stack.append(try global(module, name))
            case 0x71: let index = try unsigned(1); memo[index] = try top() // BINPUT
            case 0x72: let index = try unsigned(4); memo[index] = try top() // LONG_BINPUT
            case 0x94: memo[memo.count] = try top() // MEMOIZE
            case 0x68, 0x6A: // BINGET, LONG_BINGET
                let index = try unsigned(opcode == 0x68 ? 1 : 4)
                guard let value = memo[index] else { throw corrupt("memo \(index) is not set") }
                stack.append(value)
            case 0x74: stack.append(.tuple(try popMark())) // TUPLE
            case 0x85: stack.append(.tuple([try pop()])) // TUPLE1
            case 0x86: let b = try pop(); let a = try pop(); stack.append(.tuple([a, b])) // TUPLE2
            case 0x87: let c = try pop(); let b = try pop(); let a = try pop(); stack.append(.tuple([a, b, c])) // TUPLE3
            case 0x61: // APPEND
                let item = try pop()
                let target = try top()
                guard case .list(let list) = target else { throw corrupt("APPEND to a \(target.typeName)") }
                list.items.append(item)
            case 0x65: // APPENDS
                let items = try popMark()
                let target = try top()
                guard case .list(let list) = target else { throw corrupt("APPENDS to a \(target.typeName)") }
                list.items += items
            case 0x73: // SETITEM
                let value = try pop()
                let key = try pop()
                let target = try top()
                guard case .dict(let dict) = target else { throw corrupt("SETITEM on a \(target.typeName)") }
                dict.pairs.append((key, value))
            case 0x75: // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw corrupt("SETITEMS with an odd number of items") }
                let target = try top()
                guard case .dict(let dict) = target else { throw corrupt("SETITEMS on a \(target.typeName)") }
                for index in stride(from: 0, to: items.count, by: 2) { dict.pairs.append((items[index], items[index + 1])) }
            case 0x51: // BINPERSID
                stack.append(try persistentLoad(try pop()))
            case 0x52, 0x81: // REDUCE, NEWOBJ: callable(*arguments)
                let arguments = try pop()
                let callable = try pop()
                stack.append(try call(callable, arguments))
            case 0x62: // BUILD: object state (a state dict's `_metadata` of module versions); not needed for weights
                _ = try pop()
                _ = try top()
            default:
                throw CheckpointError.unknownPickleOpcode(file: file, opcode: opcode, offset: start)
            }
        }
    }

    /// `('storage', torch.FloatStorage, key, location, numel)`.
    private func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let fields) = id, fields.count == 5, case .string("storage") = fields[0],
              case .global("torch", let typeName) = fields[1], case .string(let key) = fields[2],
              case .int(let count) = fields[4], count >= 0 else {
            throw corrupt("a persistent id that is not ('storage', torch.<Type>Storage, key, location, numel)")
        }
        guard let dtype = Self.storageTypes[typeName] else {
            throw corrupt("a persistent id names torch.\(typeName), which is not a storage type")
        }
        return .storage(key: key, dtype: dtype, elementCount: count)
    }

    private func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case .tuple(let items) = value else { throw corrupt("\(what) is a \(value.typeName), not a tuple") }
        return try items.map {
            guard case .int(let number) = $0 else { throw corrupt("\(what) holds a \($0.typeName)") }
            return number
        }
    }

    private mutating func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable else { throw corrupt("a call of a \(callable.typeName)") }
        guard case .tuple(let args) = arguments else { throw corrupt("the arguments of \(module).\(name) are not a tuple") }
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw corrupt("OrderedDict with arguments") }
            return newDict()
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard args.count >= 4, case .storage(let key, let dtype, let count) = args[0], case .int(let offset) = args[1] else {
                throw corrupt("\(name) with arguments other than (storage, storage_offset, size, stride, ...)")
            }
            return .tensor(TensorReference(storageKey: key, dtype: dtype, storageElements: count, offset: offset,
                                           shape: try integers(args[2], "a tensor size"), strides: try integers(args[3], "a tensor stride")))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let data = args.first, case .tensor = data else { throw corrupt("\(name) without a tensor") }
            return data
        case "torch.Size":
            return args.first ?? .tuple([])
        case "torch.device":
            return .opaque("torch.device")
        case "torch.serialization._get_layout":
            return .opaque("torch.layout")
        default:
            // Storage types are only ever named in persistent ids, never called.
            throw corrupt("\(module).\(name) is called")
        }
    }
}
