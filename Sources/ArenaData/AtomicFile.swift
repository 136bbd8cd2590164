#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader never sees a half-written one: the bytes go to a temporary
/// file in the same folder, are flushed to disk, and the file is renamed over the target.
public enum AtomicFile {
    /// Writes `text` to `path` atomically.
    public static func write(_ text: String, to path: String) throws(DataError) {
        var copy = text
        let result: Result<Void, DataError> = copy.withUTF8 { buffer in
            do throws(DataError) {
                try write(buffer, to: path)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws(DataError) {
        let result: Result<Void, DataError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(DataError) {
                try write(buffer, to: path)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: UnsafeBufferPointer<UInt8>, to path: String) throws(DataError) {
        // Unique per process and call, so concurrent writers of one path never share a file.
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw DataError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw DataError.writeFailed(path: path, reason: reason)
            }
            offset += written
        }
        if fsync(descriptor) != 0 || close(descriptor) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError.writeFailed(path: path, reason: reason)
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError.writeFailed(path: path, reason: reason)
        }
    }

    /// Creates `path` and its missing parents.
    public static func makeDirectory(_ path: String) throws(DataError) {
        var current = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw DataError.writeFailed(path: current, reason: String(cString: strerror(errno)))
            }
        }
    }
}

/// POSIX write(2), named apart from the `write` methods above.
@inline(__always)
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(descriptor, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(descriptor, buffer, count)
    #else
    return Darwin.write(descriptor, buffer, count)
    #endif
}
