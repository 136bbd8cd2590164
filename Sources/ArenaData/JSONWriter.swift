/// Writes JSON the way the Kaggle files are written: non-ASCII escaped as lowercase \uXXXX
/// (surrogate pairs above U+FFFF), "/" escaped as "\/", and list-of-turns cells with the
/// separator "," and no space (`["first turn","second turn"]`), so that a cell decoded and
/// written again is the same bytes (a test checks every cell of the real sample).
public enum JSONWriter {
    /// Appends `text` as a JSON string literal.
    public static func appendString(_ text: String, to output: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        appendString(text, to: &bytes)
        output += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal, as UTF-8 bytes. Runs of printable ASCII are
    /// copied whole; only quotes, backslashes, slashes, control and non-ASCII characters are
    /// escaped.
    public static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = text.utf8
        var index = utf8.startIndex
        var runStart = index
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
                && byte != UInt8(ascii: "/")
            {
                index = utf8.index(after: index)
                continue
            }
            bytes.append(contentsOf: utf8[runStart..<index])
            if byte < 0x80 {
                switch byte {
                case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "/"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "/")]
                case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                default: appendEscape(UInt32(byte), to: &bytes)
                }
                index = utf8.index(after: index)
            } else {
                // A lead byte is also a Unicode scalar boundary.
                let scalar = text.unicodeScalars[index]
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    appendEscape(0xD800 + (value >> 10), to: &bytes)
                    appendEscape(0xDC00 + (value & 0x3FF), to: &bytes)
                } else {
                    appendEscape(scalar.value, to: &bytes)
                }
                index = text.unicodeScalars.index(after: index)
            }
            runStart = index
        }
        bytes.append(contentsOf: utf8[runStart..<index])
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendEscape(_ unit: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(hexDigits[Int((unit >> UInt32(shift)) & 0xF)])
        }
    }

    /// A list-of-turns cell: `["a",null,"b"]`, nil turns written as null.
    public static func turns(_ turns: [String?]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, turn) in turns.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            if let turn { appendString(turn, to: &bytes) } else { bytes += Array("null".utf8) }
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Serialises a value in Python's default style (separators ", " and ": ").
    public static func string(_ value: JSONValue) -> String {
        var output = ""
        append(value, to: &output)
        return output
    }

    private static func append(_ value: JSONValue, to output: inout String) {
        switch value {
        case .null: output.append("null")
        case let .bool(flag): output.append(flag ? "true" : "false")
        case let .number(_, literal): output.append(literal)
        case let .string(text): appendString(text, to: &output)
        case let .array(elements):
            output.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(", ") }
                append(element, to: &output)
            }
            output.append("]")
        case let .object(members):
            output.append("{")
            for (index, (key, element)) in members.enumerated() {
                if index > 0 { output.append(", ") }
                appendString(key, to: &output)
                output.append(": ")
                append(element, to: &output)
            }
            output.append("}")
        }
    }
}
