import Foundation

/// A report of how far a long job has come, for a progress line with an ETA.
public struct TrainingProgress: Sendable {
    /// What is running.
    public var stage: Stage
    /// Units done and in all (rounds, rows, folds).
    public var completed: Int
    public var total: Int
    /// A short note such as the current validation loss.
    public var detail: String?

    /// The stages of a k-fold training run.
    public enum Stage: Sendable, Equatable, CustomStringConvertible {
        /// Computing the features of every row.
        case features
        /// Training fold `index` (from 0) of `count`.
        case fold(Int, of: Int)

        /// "features", "fold 2/5".
        public var description: String {
            switch self {
            case .features: return "features"
            case let .fold(index, count): return "fold \(index + 1)/\(count)"
            }
        }
    }

    public init(stage: Stage, completed: Int, total: Int, detail: String? = nil) {
        self.stage = stage
        self.completed = completed
        self.total = total
        self.detail = detail
    }
}

/// Estimates the time left from the share of work done so far.
public struct ProgressClock: Sendable {
    public let started: Date

    public init(started: Date = Date()) { self.started = started }

    public var elapsed: TimeInterval { Date().timeIntervalSince(started) }

    /// Seconds left if the remaining share goes as fast as the done share; nil before any.
    public func remaining(fractionDone: Double) -> TimeInterval? {
        guard fractionDone > 0, fractionDone <= 1 else { return nil }
        return elapsed * (1 - fractionDone) / fractionDone
    }

    /// "1:05" or "1:02:03".
    public static func format(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        let hours = total / 3600
        let minutes = (total % 3600) / 60
        let secs = total % 60
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
