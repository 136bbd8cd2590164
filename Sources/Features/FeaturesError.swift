/// What can go wrong when features are configured, combined or restored.
public enum FeaturesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value is out of range; the message says which and why.
    case invalidConfiguration(String)
    /// Two blocks that must have the same number of rows do not.
    case rowCountMismatch(left: Int, right: Int)
    /// A matrix's values do not fill its declared shape.
    case shapeMismatch(expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .invalidConfiguration(message):
            return "invalid feature configuration: \(message)"
        case let .rowCountMismatch(left, right):
            return "cannot join feature blocks with \(left) and \(right) rows; both must describe the same battles"
        case let .shapeMismatch(expected, found):
            return "a feature matrix of this shape needs \(expected) values, found \(found)"
        }
    }
}
