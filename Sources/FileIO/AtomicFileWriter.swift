#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed write: the file meant and what the system said.
public struct FileWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// The one way arena writes a file that must never be seen half-written (data files, run
/// files, checkpoints, XGBoost models): the bytes go to `PATH.tmp-PID-RANDOM` in the same
/// folder (created exclusively, so two writers of one path never share it), are flushed to disk,
/// and the file is renamed over `path`; then the folder is flushed so the rename survives a
/// crash. A reader sees the old file or the whole new one. On failure the temporary file is
/// removed; one left by a killed process carries ``temporaryMarker`` in its name, which run
/// folders ignore and clear.
public enum AtomicFileWriter {
    /// What every temporary file's name contains.
    public static let temporaryMarker = ".tmp-"

    /// Writes `path` from `body`, which appends bytes with the closure it is given (for files
    /// made piece by piece). Errors of `body` pass through; a failing system call throws a
    /// ``FileWriteError``.
    public static func write(
        to path: String, _ body: (_ append: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let temporary = path + temporaryMarker + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw failure(path, "cannot create a temporary file beside it") }
        var isOpen = true
        defer { if isOpen { close(descriptor) } }
        do {
            try body { buffer in try appendAll(descriptor, buffer, path: path) }
            guard fsync(descriptor) == 0 else { throw failure(path, "cannot flush to disk") }
            isOpen = false
            guard close(descriptor) == 0 else { throw failure(path, "cannot close") }
            guard rename(temporary, path) == 0 else { throw failure(path, "cannot rename the temporary file over it") }
        } catch {
            unlink(temporary)
            throw error
        }
        syncFolder(of: path)
    }

    /// Writes `bytes` to `path`.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(FileWriteError) {
        do {
            try write(to: path) { append in try append(bytes) }
        } catch let error as FileWriteError {
            throw error
        } catch {
            throw FileWriteError(path: path, reason: "\(error)")
        }
    }

    /// Writes `bytes` to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        let result: Result<Void, FileWriteError> = bytes.withUnsafeBytes { buffer in
            do throws(FileWriteError) {
                try write(buffer, to: path)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private static func appendAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(FileWriteError) {
        guard let base = buffer.baseAddress else { return }
        var written = 0
        while written < buffer.count {
            let result = systemWrite(descriptor, base + written, buffer.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot write")
            }
            written += result
        }
    }

    /// Makes the rename itself durable. Best effort: some file systems refuse fsync on a folder,
    /// and the file is complete under one name or the other.
    private static func syncFolder(of path: String) {
        let folder = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let descriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// `action` and the reason for the current `errno`; call right after the failure.
    private static func failure(_ path: String, _ action: String) -> FileWriteError {
        FileWriteError(path: path, reason: "\(action): \(String(cString: strerror(errno)))")
    }
}

/// The C `write`, which ``AtomicFileWriter`` hides inside the type.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
