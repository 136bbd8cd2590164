#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file under a temporary name in the same folder, flushes it, then renames it over
/// `path`: readers see the old file or the whole new one, never half of it, even after a crash.
enum AtomicWriter {
    /// `body` receives a sink that appends bytes to the file.
    static func write(to path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        // Unique per call, so two writers of the same path in one process do not share a file.
        let temporary = "\(path).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw CheckpointError.cannotWrite(file: path, reason: "\(temporary): " + errorText())
        }
        var open = true
        defer { if open { close(descriptor) } }
        do {
            try body { buffer in try writeAll(descriptor, buffer, path: path) }
            guard fsync(descriptor) == 0 else {
                throw CheckpointError.cannotWrite(file: path, reason: "fsync: " + errorText())
            }
            open = false
            guard close(descriptor) == 0 else {
                throw CheckpointError.cannotWrite(file: path, reason: "close: " + errorText())
            }
            guard rename(temporary, path) == 0 else {
                throw CheckpointError.cannotWrite(file: path, reason: "rename: " + errorText())
            }
        } catch {
            unlink(temporary)
            throw error
        }
        syncFolder(of: path)
    }

    private static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        guard let base = buffer.baseAddress else { return }
        var written = 0
        while written < buffer.count {
            let result = systemWrite(descriptor, base + written, buffer.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.cannotWrite(file: path, reason: errorText())
            }
            written += result
        }
    }

    /// Makes the rename itself durable. Best effort: some file systems refuse fsync on a folder,
    /// and the file is already complete under one name or the other.
    private static func syncFolder(of path: String) {
        let folder = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let descriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}

/// The C `write`, which `AtomicWriter.write` hides inside the type.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
