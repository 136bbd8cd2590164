import CXGBoost
import Foundation

/// What went wrong in the Boosting module.
public enum BoostingError: Error, Equatable, CustomStringConvertible {
    /// An XGBoost C API function failed; `message` is XGBoost's own text (`XGBGetLastError`).
    case xgboost(call: String, message: String)
    /// The caller passed something XGBoost cannot take (wrong counts, out-of-range indices, ...).
    case invalidInput(String)
    /// A model file could not be read or written, or does not hold a model.
    case io(path: String, reason: String)

    /// A one-line message for people: the failing call or path, then the reason.
    public var description: String {
        switch self {
        case .xgboost(let call, let message): "XGBoost \(call) failed: \(message)"
        case .invalidInput(let reason): "invalid input: \(reason)"
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
}

/// Runs one XGBoost C API call and throws `.xgboost` if it returns a non-zero status.
///
/// XGBoost keeps its last error in thread-local storage, so the message is read here, on the
/// calling thread, before any other XGBoost call can overwrite it.
func callXGBoost(_ name: String, _ body: () -> Int32) throws(BoostingError) {
    guard body() != 0 else { return }
    let text = XGBGetLastError().map { String(cString: $0) } ?? "no message"
    // Drop the C++ backtrace XGBoost appends: addresses inside libxgboost help no caller.
    let message = text.components(separatedBy: "\nStack trace:").first ?? text
    throw .xgboost(call: name, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
}

/// The handle an XGBoost constructor wrote to `out`, or an error if it wrote none.
func requireHandle(_ handle: UnsafeMutableRawPointer?, from call: String) throws(BoostingError) -> UnsafeMutableRawPointer {
    guard let handle else { throw .xgboost(call: call, message: "returned success but no handle") }
    return handle
}
