#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic writes through POSIX calls, so that a failure names the path
/// and the system's reason ("No such file or directory", "Is a directory", ...).
enum ModelFile {
    /// Every byte of the file at `path`.
    static func contents(of path: String) throws(BoostingError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure(path, "cannot open the file") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot read the file")
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it over
    /// `path`, so a reader sees the old file or the new one, never half of one.
    static func replace(_ path: String, with bytes: [UInt8]) throws(BoostingError) {
        // Unique per process and call, so concurrent writers never share a temporary file.
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw failure(path, "cannot create a temporary file beside it") }
        var error: BoostingError? = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return failure(path, "cannot write")
                }
                offset += written
            }
            return nil
        }
        if error == nil, fsync(descriptor) != 0 { error = failure(path, "cannot flush to disk") }
        if close(descriptor) != 0, error == nil { error = failure(path, "cannot close") }
        if error == nil, rename(temporary, path) != 0 { error = failure(path, "cannot rename the temporary file over it") }
        if let error {
            unlink(temporary)
            throw error
        }
    }

    /// `.io` with `action` and the reason for the current `errno`; call right after the failure.
    private static func failure(_ path: String, _ action: String) -> BoostingError {
        .io(path: path, reason: "\(action): \(String(cString: strerror(errno)))")
    }
}
