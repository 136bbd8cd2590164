import FileIO

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

    /// Writes `bytes` to `path` atomically (``AtomicFileWriter``): a reader sees the old file or
    /// the new one, never half of one.
    static func replace(_ path: String, with bytes: [UInt8]) throws(BoostingError) {
        do {
            try AtomicFileWriter.write(bytes, to: path)
        } catch {
            throw .io(path: path, reason: error.reason)
        }
    }

    /// `.io` with `action` and the reason for the current `errno`; call right after the failure.
    private static func failure(_ path: String, _ action: String) -> BoostingError {
        .io(path: path, reason: "\(action): \(String(cString: strerror(errno)))")
    }
}
