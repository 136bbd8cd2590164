/// Errors reading or writing checkpoint files. Each names the file and, where there is one, the
/// tensor, and says what was expected and what was found.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(file: String, reason: String)
    /// The file ends before a structure it announces.
    case truncated(file: String, detail: String)
    /// The bytes do not follow the format.
    case corrupt(file: String, detail: String)
    /// A tensor entry that is inconsistent (offsets, shape, dtype).
    case invalidTensor(file: String, tensor: String, detail: String)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case unsupported(file: String, detail: String)
    case missingTensor(file: String, tensor: String)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason): return "\(file): cannot open: \(reason)"
        case let .truncated(file, detail): return "\(file): truncated: \(detail)"
        case let .corrupt(file, detail): return "\(file): corrupt: \(detail)"
        case let .invalidTensor(file, tensor, detail): return "\(file): tensor \"\(tensor)\": \(detail)"
        case let .unsupportedDType(file, tensor, dtype): return "\(file): tensor \"\(tensor)\": dtype \(dtype) is not supported"
        case let .unsupported(file, detail): return "\(file): \(detail)"
        case let .missingTensor(file, tensor): return "\(file): no tensor named \"\(tensor)\""
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}
