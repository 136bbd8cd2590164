/// Errors reading or writing checkpoint files. Each names the file and, where there is one, the
/// tensor, and says what was expected and what was found.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be opened or mapped (absent, unreadable, a folder).
    case cannotOpen(file: String, reason: String)
    /// The file ends before a structure it announces (`detail` says which, and where the file ends).
    case truncated(file: String, detail: String)
    /// The bytes do not follow the format.
    case corrupt(file: String, detail: String)
    /// A tensor entry that is inconsistent (offsets, shape, strides, storage size).
    case invalidTensor(file: String, tensor: String, detail: String)
    /// A dtype string (safetensors) this module has no ``DType`` for, e.g. `F8_E4M3`.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A valid file that uses something this reader does not (legacy torch.save, compression, ...).
    case unsupported(file: String, detail: String)
    /// A pickle opcode outside the subset `torch.save` writes; `offset` is its byte in `data.pkl`.
    case unknownPickleOpcode(file: String, opcode: UInt8, offset: Int)
    /// A pickle global (`module.name`) that a state dict does not need; never imported or called.
    case unknownPickleGlobal(file: String, global: String)
    case missingTensor(file: String, tensor: String)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason): return "\(file): cannot open: \(reason)"
        case let .truncated(file, detail): return "\(file): truncated: \(detail)"
        case let .corrupt(file, detail): return "\(file): corrupt: \(detail)"
        case let .invalidTensor(file, tensor, detail): return "\(file): tensor \"\(tensor)\": \(detail)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): tensor \"\(tensor)\": dtype \(dtype) is not supported (expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)"
        case let .unsupported(file, detail): return "\(file): \(detail)"
        case let .unknownPickleOpcode(file, opcode, offset):
            let hex = String(opcode, radix: 16, uppercase: false)
            return "\(file): data.pkl byte \(offset): pickle opcode 0x\(hex.count == 1 ? "0" + hex : hex) is not one torch.save writes"
        case let .unknownPickleGlobal(file, global):
            return "\(file): data.pkl refers to \(global), which a torch.save'd state dict does not use"
        case let .missingTensor(file, tensor): return "\(file): no tensor named \"\(tensor)\""
        case let .cannotWrite(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}
