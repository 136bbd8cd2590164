import FileIO
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader never sees a half-written one (``AtomicFileWriter``), only to
/// a regular file or a new path, through symbolic links (``OutputPath``).
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

    /// Writes `bytes` to `path` atomically: through a symbolic link to its target, and only to
    /// a regular file or a new path (`OutputPath.resolve`).
    public static func write(_ bytes: UnsafeBufferPointer<UInt8>, to requestedPath: String) throws(DataError) {
        let path = try OutputPath.resolve(requestedPath)
        do {
            try AtomicFileWriter.write(UnsafeRawBufferPointer(bytes), to: path)
        } catch {
            throw DataError.writeFailed(path: error.path, reason: error.reason)
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

/// Where an output really goes, checked before anything is written.
public enum OutputPath {
    /// The path to write for the output `path`: a symbolic link is followed to its target (the
    /// link stays and the file it names is replaced, as a shell's `>` does); the result must be
    /// a regular file or a new path (not a device such as /dev/full, a folder or a pipe), and
    /// must not be the same file as any of `inputs` (compared by device and inode, so another
    /// name or a hard link of an input is caught too).
    public static func resolve(_ path: String, inputs: [String] = []) throws(DataError) -> String {
        var current = path
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current, &status) == 0 else {
                guard errno == ENOENT else { throw DataError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
                return current
            }
            switch status.st_mode & S_IFMT {
            case S_IFLNK:
                var buffer = [Int8](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(current, &buffer, buffer.count - 1)
                guard count >= 0 else { throw DataError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
                let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") {
                    current = target
                } else {
                    let slash = current.lastIndex(of: "/")
                    current = slash.map { String(current[...$0]) + target } ?? target
                }
            case S_IFREG:
                for input in inputs {
                    var other = stat()
                    if stat(input, &other) == 0, other.st_dev == status.st_dev, other.st_ino == status.st_ino {
                        throw DataError.writeFailed(
                            path: path, reason: "it is the input file \(input); write the output to another path")
                    }
                }
                return current
            default:
                throw DataError.writeFailed(
                    path: path,
                    reason: "it is \(kind(status.st_mode)), not a regular file; arena writes its outputs only to regular files or new paths")
            }
        }
        throw DataError.writeFailed(path: path, reason: "too many levels of symbolic links")
    }

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a folder"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a named pipe"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// Every regular file under `folder` (or `folder` itself when it is a file): the inputs a
    /// command reads from a run or model folder.
    public static func files(in folder: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [folder] }
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var result: [String] = []
        while let name = enumerator?.nextObject() as? String { result.append(folder + "/" + name) }
        return result
    }
}
