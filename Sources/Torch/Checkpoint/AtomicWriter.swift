#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file under a temporary name in the same folder, flushes it, then renames it over
/// `path`: readers see the old file or the whole new one, never half of it.
enum AtomicWriter {
    static func write(to path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let temporary = "\(path).partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw CheckpointError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
        }
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do {
            try body { buffer in
                var written = 0
                while written < buffer.count {
                    guard let base = buffer.baseAddress else { return }
                    let result = Glibc.write(descriptor, base + written, buffer.count - written)
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw CheckpointError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
                    }
                    written += result
                }
            }
            guard fsync(descriptor) == 0 else {
                throw CheckpointError.cannotWrite(file: path, reason: "fsync: " + String(cString: strerror(errno)))
            }
            closed = true
            guard close(descriptor) == 0 else {
                throw CheckpointError.cannotWrite(file: path, reason: "close: " + String(cString: strerror(errno)))
            }
            guard rename(temporary, path) == 0 else {
                throw CheckpointError.cannotWrite(file: path, reason: "rename: " + String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
