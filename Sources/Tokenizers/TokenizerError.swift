/// Errors loading or using a tokenizer. Each names the file and the field at fault.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case cannotRead(file: String, reason: String)
    /// A file that does not parse, or a field that is missing or of the wrong type.
    case invalidFile(file: String, field: String, reason: String)
    /// A configuration arena does not implement (an unknown model, normaliser, ...).
    case unsupported(file: String, field: String, value: String)
    /// A token the vocabulary must have (e.g. "[UNK]") is absent.
    case missingToken(file: String, token: String)
    /// SentencePiece reported an error, or its shim is missing.
    case sentencePiece(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .cannotRead(file, reason): return "\(file): cannot read: \(reason)"
        case let .invalidFile(file, field, reason): return "\(file): field \"\(field)\": \(reason)"
        case let .unsupported(file, field, value): return "\(file): field \"\(field)\": \"\(value)\" is not supported"
        case let .missingToken(file, token): return "\(file): the vocabulary has no \"\(token)\""
        case .sentencePiece(let message): return "SentencePiece: \(message)"
        case .invalidArgument(let message): return message
        }
    }
}
