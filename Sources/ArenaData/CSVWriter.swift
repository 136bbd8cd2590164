#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes CSV in the dialect pandas' `to_csv` writes: fields quoted only when they hold a
/// comma, a quote or a line break; quotes doubled; LF line ends.
public struct CSVWriter {
    public private(set) var output = ""

    public init() {}

    /// Appends one record.
    public mutating func write(_ fields: [String]) {
        // A record of one empty field is written as "": an empty line is no record to a reader
        // (pandas and this one skip blank lines), so the record would vanish (found by fuzz-csv).
        if fields.count == 1 && fields[0].isEmpty {
            output.append("\"\"\n")
            return
        }
        for (index, field) in fields.enumerated() {
            if index > 0 { output.append(",") }
            CSVWriter.appendField(field, to: &output)
        }
        output.append("\n")
    }

    /// Appends `field`, quoted if needed.
    public static func appendField(_ field: String, to output: inout String) {
        let utf8 = field.utf8
        // A field starting with U+FEFF is quoted too: unquoted at the start of a file it would
        // read back as a byte-order mark and be dropped (found by fuzz/fuzz-csv).
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || utf8.starts(with: [0xEF, 0xBB, 0xBF])
        guard needsQuotes else {
            output.append(field)
            return
        }
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        bytes.reserveCapacity(utf8.count + 16)
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "\"") {
                // Copy up to and including the quote, then double it.
                let next = utf8.index(after: index)
                bytes.append(contentsOf: utf8[runStart..<next])
                bytes.append(UInt8(ascii: "\""))
                runStart = next
            }
            index = utf8.index(after: index)
        }
        bytes.append(contentsOf: utf8[runStart..<index])
        bytes.append(UInt8(ascii: "\""))
        output += String(decoding: bytes, as: UTF8.self)
    }

    /// Takes the text written so far and empties the writer.
    public mutating func take() -> String {
        defer { output = "" }
        return output
    }
}
