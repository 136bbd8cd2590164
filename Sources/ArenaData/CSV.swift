// A streaming RFC 4180 CSV reader and writer.
//
// Reads any size of file in fixed chunks: quoted fields with commas, doubled quotes and line
// breaks inside; CRLF or LF record ends; a UTF-8 byte-order mark. Fields come back as bytes so
// that the large JSON cells of the Kaggle files are decoded without an extra copy.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One CSV record: the unescaped bytes of every field, stored end to end.
public struct CSVRecord: Sendable {
    /// The unescaped bytes of all fields, end to end.
    public internal(set) var bytes: [UInt8] = []
    /// `ends[i]` is the end offset of field i in `bytes`.
    public internal(set) var ends: [Int] = []
    /// The 1-based physical line on which the record starts.
    public internal(set) var line: Int = 0

    public init() {}

    /// Builds a record from strings (for tests and writers).
    public init(fields: [String], line: Int = 0) {
        for field in fields {
            bytes.append(contentsOf: field.utf8)
            ends.append(bytes.count)
        }
        self.line = line
    }

    public var count: Int { ends.count }

    /// The byte range of field `index`.
    public func range(_ index: Int) -> Range<Int> {
        (index == 0 ? 0 : ends[index - 1])..<ends[index]
    }

    /// Calls `body` with the raw bytes of field `index`.
    public func withField<R, E: Error>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let range = range(index)
        let result: Result<R, E> = bytes.withUnsafeBufferPointer { buffer in
            do throws(E) {
                return .success(try body(UnsafeBufferPointer(rebasing: buffer[range])))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Field `index` as a String; invalid UTF-8 becomes U+FFFD.
    public func string(_ index: Int) -> String {
        var repairs = TextRepairs()
        return withField(index) { decodeUTF8($0, repairs: &repairs) }
    }

    /// Field `index` as a String, counting repaired bytes into `repairs`.
    public func string(_ index: Int, repairs: inout TextRepairs) -> String {
        withField(index) { decodeUTF8($0, repairs: &repairs) }
    }

    /// All fields as Strings.
    public var strings: [String] { (0..<count).map { string($0) } }
}

/// Errors of the CSV layer; `path` is the file as the user named it.
public enum CSVError: Error, Equatable, Sendable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case unterminatedQuote(path: String, line: Int)
    case textAfterClosingQuote(path: String, line: Int)
    case fieldTooLarge(path: String, line: Int, limit: Int)
    /// The file is not text (compressed, an archive, a spreadsheet, UTF-16); `expected` says
    /// what it should have been ("CSV text").
    case notText(path: String, content: BinaryContent, expected: String)
}

extension CSVError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open the file (\(reason))"
        case let .readFailed(path, reason):
            return "\(path): reading failed (\(reason))"
        case let .unterminatedQuote(path, line):
            return "\(path): line \(line): a quoted field starts here and is never closed; the file ends inside it (was the file cut off?)"
        case let .textAfterClosingQuote(path, line):
            return "\(path): line \(line): text after the closing quote of a field; expected ',' or the end of the line (quotes inside a quoted field must be doubled: \"\")"
        case let .fieldTooLarge(path, line, limit):
            return "\(path): line \(line): a field is larger than \(limit / (1 << 20)) MiB; is a quote missing its closing quote?"
        case let .notText(path, content, expected):
            return "\(path): this is \(content.what), not \(expected); \(content.advice)"
        }
    }
}

/// A source of bytes read in chunks.
enum ByteSource {
    case file(Int32)
    case memory([UInt8], offset: Int)
}

/// Reads CSV records one at a time from a file or a byte array, in chunks.
public final class CSVReader {
    /// The file name used in error messages.
    public let path: String
    private var source: ByteSource
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var line = 1
    private var firstRead = true
    private var checkedHead = false
    /// A single field larger than this is an error (it usually means an unbalanced quote).
    public var maximumFieldSize = 512 << 20
    private let chunkSize: Int

    /// Opens `path` for reading.
    public init(path: String, chunkSize: Int = 1 << 20) throws(CSVError) {
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            throw CSVError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw CSVError.cannotOpen(path: path, reason: "it is a directory")
        }
        self.path = path
        self.source = .file(descriptor)
        self.chunkSize = max(chunkSize, 16)
        self.buffer = [UInt8](repeating: 0, count: self.chunkSize)
    }

    /// Reads from bytes in memory; `name` stands for the file name in errors.
    public init(bytes: [UInt8], name: String = "<memory>", chunkSize: Int = 1 << 20) {
        self.path = name
        self.source = .memory(bytes, offset: 0)
        // No larger than the input: a short request body does not allocate a whole chunk.
        self.chunkSize = max(min(chunkSize, bytes.count), 16)
        self.buffer = [UInt8](repeating: 0, count: self.chunkSize)
    }

    deinit {
        if case let .file(descriptor) = source { close(descriptor) }
    }

    /// Makes room and reads more bytes; returns false at the end of the input.
    private func refill() throws(CSVError) -> Bool {
        if atEOF { return false }
        if start > 0 {
            let remaining = end - start
            if remaining > 0 {
                buffer.withUnsafeMutableBufferPointer { pointer in
                    let base = pointer.baseAddress!
                    memmove(base, base + start, remaining)
                }
            }
            end = remaining
            start = 0
        }
        if end == buffer.count {
            buffer.append(contentsOf: repeatElement(0, count: max(buffer.count, chunkSize)))
        }
        let capacity = buffer.count - end
        var count = 0
        switch source {
        case let .file(descriptor):
            let offset = end
            count = buffer.withUnsafeMutableBytes { pointer in
                read(descriptor, pointer.baseAddress! + offset, capacity)
            }
            if count < 0 {
                throw CSVError.readFailed(path: path, reason: String(cString: strerror(errno)))
            }
        case let .memory(bytes, offset):
            count = min(capacity, bytes.count - offset)
            if count > 0 {
                let destination = end
                buffer.withUnsafeMutableBufferPointer { pointer in
                    bytes.withUnsafeBufferPointer { from in
                        _ = memcpy(pointer.baseAddress! + destination, from.baseAddress! + offset, count)
                    }
                }
            }
            source = .memory(bytes, offset: offset + count)
        }
        if count == 0 {
            atEOF = true
            return false
        }
        end += count
        if firstRead {
            firstRead = false
            // A UTF-8 byte-order mark at the start of the file is not part of the first field.
            if end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
        }
        return true
    }

    /// Refuses input that is not text: compressed files, archives, spreadsheets, UTF-16, NUL
    /// bytes in the first KiB. Reads the head without consuming it (pread for a file; a pipe,
    /// which cannot be re-read, is not inspected).
    private func checkHead() throws(CSVError) {
        checkedHead = true
        var head = [UInt8](repeating: 0, count: BinaryContent.inspectedLength)
        var count = 0
        switch source {
        case let .file(descriptor):
            while count < head.count {
                let offset = count
                let got = head.withUnsafeMutableBytes { pointer in
                    pread(descriptor, pointer.baseAddress! + offset, pointer.count - offset, off_t(offset))
                }
                if got <= 0 { break }
                count += got
            }
        case let .memory(bytes, offset):
            count = min(head.count, bytes.count - offset)
            if count > 0 { head.replaceSubrange(0..<count, with: bytes[offset..<(offset + count)]) }
        }
        if let content = BinaryContent.detect(head[0..<count]) {
            throw CSVError.notText(path: path, content: content, expected: "CSV text")
        }
    }

    /// Reads the next record into `record`; returns false at the end of the input.
    /// An empty line between records is skipped (as pandas does).
    public func next(into record: inout CSVRecord) throws(CSVError) -> Bool {
        if !checkedHead { try checkHead() }
        record.bytes.removeAll(keepingCapacity: true)
        record.ends.removeAll(keepingCapacity: true)
        // Skip blank lines.
        while true {
            if start == end, try !refill() { return false }
            let byte = buffer[start]
            if byte == 0x0A { start += 1; line += 1; continue }
            if byte == 0x0D {
                if start + 1 == end { _ = try refill() }
                if start + 1 < end && buffer[start + 1] == 0x0A { start += 2 } else { start += 1 }
                line += 1
                continue
            }
            break
        }
        record.line = line
        var fieldStart = record.bytes.count
        while true {
            // At the start of a field.
            if start == end, try !refill() {
                record.ends.append(record.bytes.count)
                return true
            }
            if buffer[start] == UInt8(ascii: "\"") {
                let quoteLine = line
                start += 1
                // Quoted field: copy runs up to the next quote; "" is a literal quote.
                quoted: while true {
                    if start == end, try !refill() {
                        throw CSVError.unterminatedQuote(path: path, line: quoteLine)
                    }
                    let found: Int? = buffer.withUnsafeBufferPointer { pointer in
                        let base = UnsafeRawPointer(pointer.baseAddress!)
                        guard let hit = memchr(base + start, Int32(UInt8(ascii: "\"")), end - start) else { return nil }
                        return base.distance(to: UnsafeRawPointer(hit))
                    }
                    let runEnd = found ?? end
                    if runEnd > start {
                        buffer.withUnsafeBufferPointer { pointer in
                            let run = UnsafeBufferPointer(rebasing: pointer[start..<runEnd])
                            for byte in run where byte == 0x0A { line += 1 }
                            record.bytes.append(contentsOf: run)
                        }
                    }
                    if record.bytes.count - fieldStart > maximumFieldSize {
                        throw CSVError.fieldTooLarge(path: path, line: quoteLine, limit: maximumFieldSize)
                    }
                    start = runEnd
                    guard found != nil else { continue }
                    // At a quote: either "" (escaped) or the closing quote.
                    if start + 1 == end { _ = try refill() }
                    if start + 1 < end && buffer[start + 1] == UInt8(ascii: "\"") {
                        record.bytes.append(UInt8(ascii: "\""))
                        start += 2
                        continue quoted
                    }
                    start += 1
                    break quoted
                }
                // After the closing quote: a separator, a line end, or the end of the input.
                if start == end, try !refill() {
                    record.ends.append(record.bytes.count)
                    return true
                }
                let byte = buffer[start]
                if byte == UInt8(ascii: ",") {
                    start += 1
                    record.ends.append(record.bytes.count)
                    fieldStart = record.bytes.count
                    continue
                }
                if byte == 0x0A || byte == 0x0D {
                    try consumeLineEnd()
                    record.ends.append(record.bytes.count)
                    return true
                }
                throw CSVError.textAfterClosingQuote(path: path, line: line)
            }
            // Unquoted field: up to ',' or a line end.
            while true {
                if start == end, try !refill() {
                    record.ends.append(record.bytes.count)
                    return true
                }
                let stop: Int = buffer.withUnsafeBufferPointer { pointer in
                    var index = start
                    while index < end {
                        let byte = pointer[index]
                        if byte == UInt8(ascii: ",") || byte == 0x0A || byte == 0x0D { break }
                        index += 1
                    }
                    record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: pointer[start..<index]))
                    return index
                }
                start = stop
                if start == end { continue }
                let byte = buffer[start]
                record.ends.append(record.bytes.count)
                if byte == UInt8(ascii: ",") {
                    start += 1
                    fieldStart = record.bytes.count
                    break
                }
                try consumeLineEnd()
                return true
            }
        }
    }

    /// Consumes LF, CR or CRLF at `start`.
    private func consumeLineEnd() throws(CSVError) {
        if buffer[start] == 0x0D {
            start += 1
            if start == end { _ = try refill() }
            if start < end && buffer[start] == 0x0A { start += 1 }
        } else {
            start += 1
        }
        line += 1
    }

    /// Reads the next record, or nil at the end of the input.
    public func next() throws(CSVError) -> CSVRecord? {
        var record = CSVRecord()
        return try next(into: &record) ? record : nil
    }
}
