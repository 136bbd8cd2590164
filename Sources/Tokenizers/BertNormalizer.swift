import Foundation

/// Hugging Face tokenizers' `BertNormalizer` and `BertPreTokenizer`
/// (https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/normalizers/bert.rs,
/// .../pre_tokenizers/bert.rs): clean control characters, space out CJK ideographs, strip
/// accents, lower-case; then split on whitespace and around every punctuation character.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText = true
    public var handleChineseChars = true
    /// nil: follow `lowercase`, as Hugging Face does.
    public var stripAccents: Bool? = nil
    public var lowercase = true

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    public func normalize(_ text: String) -> String {
        var text = text
        var steps = 0
        let bytes = text.withUTF8 { normalizedUTF8($0, steps: &steps) }
        TokenizerWork.current?.add(steps: steps)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The normalised form of the UTF-8 text `bytes`, as UTF-8, in one pass: each scalar is
    /// cleaned, spaced (CJK), decomposed (NFD, when accents are stripped), filtered and
    /// lower-cased as it streams through, so the cost is linear in the text. (The former
    /// version built the result with `String.UnicodeScalarView.append(contentsOf:)`, which
    /// copies the whole string on every call, and took the NFD of the whole text with
    /// Foundation, which is quadratic in the number of characters that decompose.)
    func normalizedUTF8(_ bytes: UnsafeBufferPointer<UInt8>, steps: inout Int) -> [UInt8] {
        var stream = NormalizedStream(lowercase: lowercase, stripAccents: stripAccents ?? lowercase, capacity: bytes.count)
        // What each ASCII byte becomes (-1: dropped), from the same rules as the general path.
        let ascii: [Int16] = (0..<128).map { (value: UInt8) -> Int16 in
            let scalar = Unicode.Scalar(value)
            if cleanText {
                if value == 0 || Self.isControl(scalar) { return -1 }
                if Self.isWhitespace(scalar) { return 0x20 }
            }
            return Int16(lowercase && value >= 65 && value <= 90 ? value + 32 : value)
        }
        var offset = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte < 0x80 {
                offset += 1
                steps += 1
                let mapped = ascii[Int(byte)]
                if mapped >= 0 { stream.appendASCII(UInt8(mapped)) }
                continue
            }
            let (scalar, length) = decodeScalar(bytes, at: offset)
            offset += length
            steps += 1
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    stream.append(" ")
                    continue
                }
            }
            if handleChineseChars, Self.isChinese(scalar) {
                stream.append(" ")
                stream.append(scalar)
                stream.append(" ")
            } else {
                stream.append(scalar)
            }
        }
        stream.finish()
        steps += stream.steps
        return stream.output
    }

    /// Whitespace-separated words with every punctuation character its own word.
    public static func preTokenize(_ text: String) -> [Substring] {
        var words: [Substring] = []
        let scalars = text.unicodeScalars
        var start: String.UnicodeScalarView.Index? = nil
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            if isWhitespace(scalar) {
                if let begin = start { words.append(Substring(scalars[begin..<index])); start = nil }
            } else if isPunctuation(scalar) {
                if let begin = start { words.append(Substring(scalars[begin..<index])); start = nil }
                words.append(Substring(scalars[index..<next]))
            } else if start == nil {
                start = index
            }
            index = next
        }
        if let begin = start { words.append(Substring(scalars[begin..<scalars.endIndex])) }
        return words
    }

    /// ``preTokenize(_:)`` over UTF-8 bytes without building the list: `body` gets the byte
    /// range of each word in order.
    static func forEachWord(in bytes: UnsafeBufferPointer<UInt8>, steps: inout Int, _ body: (Range<Int>) -> Void) {
        let classes = asciiClasses
        var start = -1
        var offset = 0
        while offset < bytes.count {
            steps += 1
            let byte = bytes[offset]
            if byte < 0x80 {
                let kind = classes[Int(byte)]
                if kind & 1 != 0 {
                    if start >= 0 { body(start..<offset); start = -1 }
                } else if kind & 4 != 0 {
                    if start >= 0 { body(start..<offset); start = -1 }
                    body(offset..<offset + 1)
                } else if start < 0 {
                    start = offset
                }
                offset += 1
                continue
            }
            let (scalar, length) = decodeScalar(bytes, at: offset)
            if isWhitespace(scalar) {
                if start >= 0 { body(start..<offset); start = -1 }
            } else if isPunctuation(scalar) {
                if start >= 0 { body(start..<offset); start = -1 }
                body(offset..<offset + length)
            } else if start < 0 {
                start = offset
            }
            offset += length
        }
        if start >= 0 { body(start..<bytes.count) }
    }

    /// Whether the text splits into words before the scalar at `offset` whatever surrounds it,
    /// so that the ids of `text[..<offset]` followed by those of `text[offset...]` are the ids
    /// of `text` (see ``WordPieceTokenizer/leadingIDs(of:limit:)``): a space, tab, line feed
    /// or carriage return (whitespace the cleaner keeps and the splitter splits on, unlike
    /// U+0085 or U+000B, which `cleanText` removes), ASCII punctuation (its own word, unchanged
    /// by every step of the normaliser) or, when CJK characters are spaced, a CJK ideograph.
    /// Each is a starter (canonical combining class 0) that decomposes to itself or to a starter,
    /// so the canonical ordering of NFD never moves a mark across it.
    func splitsBefore(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 33...47, 58...64, 91...96, 123...126: return true
        default: return handleChineseChars && Self.isChinese(scalar)
        }
    }

    /// The three classes below for ASCII, looked up instead of asking for Unicode properties
    /// (bit 1 whitespace, 2 control, 4 punctuation).
    static let asciiClasses: [UInt8] = (0..<128).map { (value: UInt8) -> UInt8 in
        let scalar = Unicode.Scalar(value)
        return (unicodeIsWhitespace(scalar) ? 1 : 0) | (unicodeIsControl(scalar) ? 2 : 0) | (unicodeIsPunctuation(scalar) ? 4 : 0)
    }

    /// Rust's char::is_whitespace (the White_Space property), plus \t \n \r.
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 128 ? asciiClasses[Int(scalar.value)] & 1 != 0 : unicodeIsWhitespace(scalar)
    }

    /// Unicode category C* (control, format, unassigned, private use, surrogate) except \t \n \r.
    @inline(__always)
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 128 ? asciiClasses[Int(scalar.value)] & 2 != 0 : unicodeIsControl(scalar)
    }

    /// ASCII punctuation (including symbols such as $ + < = > ^ ` | ~) or Unicode category P*.
    @inline(__always)
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 128 ? asciiClasses[Int(scalar.value)] & 4 != 0 : unicodeIsPunctuation(scalar)
    }

    private static func unicodeIsWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    private static func unicodeIsControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    private static func unicodeIsPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation,
             .initialPunctuation, .otherPunctuation, .openPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK ideograph blocks of the Rust implementation.
    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
