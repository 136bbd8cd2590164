#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a JSON Lines file line by line; blank lines are skipped.
final class JSONLinesReader {
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private var position = 0
    private var line = 0

    convenience init(path: String) throws(DataError) {
        try self.init(bytes: try readFile(path: path), name: path)
    }

    /// Reads records from `contents`; `name` stands for the file name in messages.
    init(bytes contents: [UInt8], name path: String) throws(DataError) {
        if let content = BinaryContent.detect(contents.prefix(BinaryContent.inspectedLength)) {
            throw DataError.csv(.notText(path: path, content: content, expected: "JSON Lines text"))
        }
        if contents.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw DataError.emptyFile(path: path)
        }
        bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: contents.count)
        _ = bytes.initialize(from: contents)
        if contents.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    deinit { bytes.deallocate() }

    /// The next non-blank line and its 1-based number; the buffer is valid until the next call.
    func nextLine() -> (Int, UnsafeBufferPointer<UInt8>)? {
        while position < bytes.count {
            line += 1
            let start = position
            while position < bytes.count && bytes[position] != 0x0A { position += 1 }
            var stop = position
            position += 1
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            let isBlank = bytes[start..<stop].allSatisfy { $0 == 0x20 || $0 == 0x09 }
            if isBlank { continue }
            return (line, UnsafeBufferPointer(rebasing: bytes[start..<stop]))
        }
        return nil
    }
}

/// Reads a whole file into memory.
public func readFile(path: String) throws(DataError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
        throw DataError.csv(.cannotOpen(path: path, reason: String(cString: strerror(errno))))
    }
    defer { close(descriptor) }
    var info = stat()
    if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
        throw DataError.csv(.cannotOpen(path: path, reason: "it is a directory"))
    }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        if count < 0 { throw DataError.csv(.readFailed(path: path, reason: String(cString: strerror(errno)))) }
        if count == 0 { break }
        result.append(contentsOf: chunk[0..<count])
    }
    return result
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }

    func replacingNewlines() -> String {
        var result = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
