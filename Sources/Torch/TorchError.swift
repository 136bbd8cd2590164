/// Errors thrown by the Torch module.
public enum TorchError: Error, Equatable, CustomStringConvertible {
    /// libtorch rejected an operation; `message` is libtorch's own (without its C++ backtrace).
    case libtorch(operation: String, message: String)
    /// An argument was rejected before reaching libtorch.
    case invalidArgument(String)
    /// The tensor's element type is not the one asked for.
    case dtypeMismatch(expected: DType, actual: DType, operation: String)

    public var description: String {
        switch self {
        case let .libtorch(operation, message): return "\(operation): \(message)"
        case let .invalidArgument(message): return message
        case let .dtypeMismatch(expected, actual, operation):
            return "\(operation): expected a \(expected) tensor, got \(actual)"
        }
    }
}

/// Checks a shim status; on failure throws libtorch's message for this thread.
@inline(__always)
func check(_ status: Int32, _ operation: @autoclosure () -> String) throws {
    if status != 0 { throw TorchError.libtorch(operation: operation(), message: lastError()) }
}

func lastError() -> String {
    String(cString: ctorch_last_error())
}

import CTorch
