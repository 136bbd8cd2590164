import ArenaData
import Foundation
import Prediction

/// Errors of run folders: writing, locking, resuming, reading and checking a run; each names
/// the path and what was expected.
public enum RunError: Error, Sendable, Equatable {
    case io(DataError)
    /// A run path that cannot name a run folder (empty).
    case invalidPath(path: String, reason: String)
    case runExists(path: String)
    case notARun(path: String, reason: String)
    case corruptRun(path: String, reason: String)
    case incompatibleRun(path: String, reason: String)
    /// A file of a run whose SHA-256 is not the one the run's config.json lists.
    case foreignFile(path: String, expected: String, actual: String)
    /// Another process is writing the run (`holder`: its pid, when the lock file names one).
    case runLocked(path: String, holder: Int32?)
    /// Overwriting was asked to replace something that is not an arena run folder.
    case notARunFolder(path: String, reason: String)
    /// The staging folder of an interrupted run holds finished work and neither resume nor
    /// overwrite was asked for.
    case interruptedRunExists(path: String, files: [String])
    /// The staging folder holds a run of other data or settings than the one asked to resume.
    case cannotResume(path: String, differences: [String])
}

extension RunError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .io(error): return error.description
        case let .invalidPath(path, reason): return "\"\(path)\": \(reason)"
        case let .runExists(path):
            return "\(path): a run already exists there"
        case let .notARun(path, reason):
            return "\(path): not a finished arena run (\(reason))"
        case let .corruptRun(path, reason):
            return "\(path): the run file is damaged (\(reason)); train the run again"
        case let .incompatibleRun(path, reason):
            return "\(path): \(reason); train the run again with this version"
        case let .foreignFile(path, expected, actual):
            return "\(path) does not belong to this run: its SHA-256 is \(actual.prefix(16))..., the run's config.json lists "
                + "\(expected.prefix(16))... (was it copied in from another run, or changed after training?); restore the run's own "
                + "file or train the run again"
        case let .runLocked(path, holder):
            let who = holder.map { "another arena process (pid \($0))" } ?? "another arena process"
            return "\(path) is being written by \(who), which holds \(RunLock.lockPath(forRun: path)); wait for it to finish "
                + "or stop it, or write to another path"
        case let .notARunFolder(path, reason):
            return "\(path): \(reason); overwriting replaces only arena run folders, so remove it yourself or choose another path"
        case let .interruptedRunExists(path, files):
            let shown = files.prefix(4).joined(separator: ", ") + (files.count > 4 ? ", ..." : "")
            return "\(path) holds an interrupted run with finished work (\(shown))"
        case let .cannotResume(path, differences):
            return "\(path) holds a run with other data or settings (\(differences.joined(separator: "; "))); "
                + "a run resumes only with the same data and settings"
        }
    }
}
