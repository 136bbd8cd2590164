import CTorch

/// Element types, with the codes of c10::ScalarType.
public enum DType: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case uint8 = 0
    case int8 = 1
    case int16 = 2
    case int32 = 3
    case int64 = 4
    case float16 = 5
    case float32 = 6
    case float64 = 7
    case bool = 11
    case bfloat16 = 15

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .int16, .float16, .bfloat16: return 2
        case .int32, .float32: return 4
        case .int64, .float64: return 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .float32, .float64, .bfloat16: return true
        default: return false
        }
    }

    /// The name PyTorch prints (`torch.float32` without the prefix).
    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        case .bool: return "bool"
        case .bfloat16: return "bfloat16"
        }
    }

    init(code: Int32) throws {
        guard let dtype = DType(rawValue: code) else {
            throw TorchError.invalidArgument("libtorch returned a dtype arena does not handle (c10::ScalarType \(code))")
        }
        self = dtype
    }
}

/// Swift types that can be copied into and out of tensors element by element.
public protocol TensorElement: Sendable {
    static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Int8: TensorElement { public static var dtype: DType { .int8 } }
extension Int16: TensorElement { public static var dtype: DType { .int16 } }
extension Bool: TensorElement { public static var dtype: DType { .bool } }
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension Float16: TensorElement { public static var dtype: DType { .float16 } }
#endif
