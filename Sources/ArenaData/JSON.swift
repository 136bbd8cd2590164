// A small JSON reader and writer for what the arena files hold: the list-of-turns cells of the
// Kaggle CSV (JSON arrays of strings, written by Python's json.dumps with ensure_ascii=True)
// and JSON Lines records.
//
// Foundation's JSONSerialization rejects lone UTF-16 surrogate escapes ("\ud83d" without its
// pair), which occur in the Kaggle data; this reader turns them into U+FFFD and counts them,
// as it does invalid UTF-8 bytes.

/// A parsed JSON value.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double, literal: String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a, _), .number(b, _)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value for `key` in an object (the first one if a key repeats), nil otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Why a JSON text did not parse; `offset` is the byte offset in the text.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// Counts of characters that were repaired while decoding.
public struct TextRepairs: Equatable, Sendable {
    /// `\uD800`-`\uDFFF` escapes without their pair, replaced by U+FFFD.
    public var loneSurrogates = 0
    /// Byte sequences that are not UTF-8, each replaced by U+FFFD.
    public var invalidUTF8 = 0
    public init() {}
    public var total: Int { loneSurrogates + invalidUTF8 }
    public static func += (lhs: inout TextRepairs, rhs: TextRepairs) {
        lhs.loneSurrogates += rhs.loneSurrogates
        lhs.invalidUTF8 += rhs.invalidUTF8
    }
}

/// Makes a String from UTF-8 bytes, replacing invalid sequences with U+FFFD and counting them.
@inline(__always)
func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, repairs: inout TextRepairs) -> String {
    if let valid = String(validating: bytes, as: UTF8.self) { return valid }
    var invalid = 0
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var scalars = String.UnicodeScalarView()
    loop: while true {
        switch decoder.decode(&iterator) {
        case let .scalarValue(scalar): scalars.append(scalar)
        case .emptyInput: break loop
        case .error:
            invalid += 1
            scalars.append("\u{FFFD}")
        }
    }
    repairs.invalidUTF8 += invalid
    return String(scalars)
}

/// A recursive-descent JSON parser over UTF-8 bytes (RFC 8259), lenient only where the arena
/// data needs it: lone surrogate escapes and invalid UTF-8 inside strings become U+FFFD.
public struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    public private(set) var repairs = TextRepairs()
    private var scratch: [UInt8] = []
    private static let maximumDepth = 512

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Parses one JSON value that must span the whole text (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> (JSONValue, TextRepairs) {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw JSONParseError(message: "unexpected text after the JSON value", offset: parser.position)
        }
        return (value, parser.repairs)
    }

    /// Parses a JSON text given as a String.
    public static func parse(_ text: String) throws(JSONParseError) -> (JSONValue, TextRepairs) {
        var copy = text
        let result: Result<(JSONValue, TextRepairs), JSONParseError> = copy.withUTF8 { buffer in
            do throws(JSONParseError) { return .success(try parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses a list-of-turns cell: a JSON array whose elements are strings or null.
    /// Null elements become empty strings and are counted in `nullTurns`.
    public static func parseTurns(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError)
        -> (turns: [String], nullTurns: Int, repairs: TextRepairs)
    {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        guard parser.peek() == UInt8(ascii: "[") else {
            throw JSONParseError(message: "expected a JSON array of strings", offset: parser.position)
        }
        parser.position += 1
        var turns: [String] = []
        var nullTurns = 0
        parser.skipWhitespace()
        if parser.peek() == UInt8(ascii: "]") {
            parser.position += 1
        } else {
            while true {
                parser.skipWhitespace()
                switch parser.peek() {
                case UInt8(ascii: "\""):
                    turns.append(try parser.parseString())
                case UInt8(ascii: "n"):
                    try parser.expectLiteral("null")
                    turns.append("")
                    nullTurns += 1
                default:
                    throw JSONParseError(message: "expected a string or null as a turn", offset: parser.position)
                }
                parser.skipWhitespace()
                guard let next = parser.peek() else {
                    throw JSONParseError(message: "unterminated array", offset: parser.position)
                }
                parser.position += 1
                if next == UInt8(ascii: "]") { break }
                if next != UInt8(ascii: ",") {
                    throw JSONParseError(message: "expected ',' or ']' in the array", offset: parser.position - 1)
                }
            }
        }
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw JSONParseError(message: "unexpected text after the JSON array", offset: parser.position)
        }
        return (turns, nullTurns, parser.repairs)
    }

    @inline(__always) private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = position
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else {
            throw JSONParseError(message: "expected '\(literal)'", offset: start)
        }
        let pointer = literal.utf8Start
        for index in 0..<count where bytes[position + index] != pointer[index] {
            throw JSONParseError(message: "expected '\(literal)'", offset: start)
        }
        position += count
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < JSONParser.maximumDepth else {
            throw JSONParseError(message: "nesting deeper than \(JSONParser.maximumDepth)", offset: position)
        }
        guard let byte = peek() else { throw JSONParseError(message: "unexpected end of JSON", offset: position) }
        switch byte {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "["):
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard let next = peek() else { throw JSONParseError(message: "unterminated array", offset: position) }
                position += 1
                if next == UInt8(ascii: "]") { return .array(elements) }
                if next != UInt8(ascii: ",") {
                    throw JSONParseError(message: "expected ',' or ']' in the array", offset: position - 1)
                }
            }
        case UInt8(ascii: "{"):
            position += 1
            var members: [(String, JSONValue)] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else {
                    throw JSONParseError(message: "expected a string key in the object", offset: position)
                }
                let key = try parseString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else {
                    throw JSONParseError(message: "expected ':' after the key", offset: position)
                }
                position += 1
                skipWhitespace()
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                guard let next = peek() else { throw JSONParseError(message: "unterminated object", offset: position) }
                position += 1
                if next == UInt8(ascii: "}") { return .object(members) }
                if next != UInt8(ascii: ",") {
                    throw JSONParseError(message: "expected ',' or '}' in the object", offset: position - 1)
                }
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw JSONParseError(message: "unexpected character '\(Unicode.Scalar(byte))'", offset: position)
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        func digits(_ parser: inout JSONParser) -> Int {
            let from = parser.position
            while let byte = parser.peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { parser.position += 1 }
            return parser.position - from
        }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw JSONParseError(message: "invalid number", offset: start) }
        // RFC 8259: no leading zeros (Python's json and JSONSerialization refuse 07 too).
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") {
            throw JSONParseError(message: "invalid number (a leading zero)", offset: start)
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw JSONParseError(message: "invalid number", offset: start) }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw JSONParseError(message: "invalid number", offset: start) }
        }
        let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(literal) else { throw JSONParseError(message: "invalid number", offset: start) }
        return .number(value, literal: literal)
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - position >= 4 else {
            throw JSONParseError(message: "truncated \\u escape", offset: position)
        }
        var value: UInt32 = 0
        for index in 0..<4 {
            guard let digit = JSONParser.hexValue(bytes[position + index]) else {
                throw JSONParseError(message: "invalid \\u escape", offset: position)
            }
            value = value << 4 | digit
        }
        position += 4
        return value
    }

    private mutating func appendScalar(_ value: UInt32) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        scratch.append(contentsOf: String(scalar).utf8)
    }

    /// Parses a string starting at the opening quote.
    private mutating func parseString() throws(JSONParseError) -> String {
        let open = position
        position += 1
        let start = position
        // Fast path: no escapes before the closing quote.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = decodeUTF8(UnsafeBufferPointer(rebasing: bytes[start..<position]), repairs: &repairs)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 {
                throw JSONParseError(message: "unescaped control character in a string", offset: position)
            }
            position += 1
        }
        guard position < bytes.count else { throw JSONParseError(message: "unterminated string", offset: open) }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return scratch.withUnsafeBufferPointer { decodeUTF8($0, repairs: &repairs) }
            }
            if byte < 0x20 {
                throw JSONParseError(message: "unescaped control character in a string", offset: position)
            }
            if byte != UInt8(ascii: "\\") {
                scratch.append(byte)
                position += 1
                continue
            }
            position += 1
            guard let escape = peek() else { break }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try parseHex4()
                if unit >= 0xD800 && unit < 0xDC00 {
                    // A high surrogate: valid only when a low surrogate escape follows.
                    if bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    {
                        let save = position
                        position += 2
                        let low = try parseHex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            appendScalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                            continue
                        }
                        position = save
                    }
                    repairs.loneSurrogates += 1
                    appendScalar(0xFFFD)
                } else if unit >= 0xDC00 && unit < 0xE000 {
                    repairs.loneSurrogates += 1
                    appendScalar(0xFFFD)
                } else {
                    appendScalar(unit)
                }
            default:
                throw JSONParseError(message: "invalid escape '\\\(Unicode.Scalar(escape))'", offset: position - 2)
            }
        }
        throw JSONParseError(message: "unterminated string", offset: open)
    }
}
