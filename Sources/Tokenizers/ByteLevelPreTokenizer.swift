import Foundation

/// The stages of a byte-level BPE `tokenizer.json` before the model: added-token extraction,
/// the normaliser, and the pre-tokeniser (regex splits, then GPT-2's byte-to-unicode mapping).
///
/// Mirrors Hugging Face tokenizers v0.19.1:
/// - added tokens: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/added_vocabulary.rs
/// - Split: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/pre_tokenizers/split.rs
/// - ByteLevel: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/pre_tokenizers/byte_level.rs

/// An entry of `tokenizer.json`'s `added_tokens` (Hugging Face's `AddedToken`).
public struct AddedToken: Equatable, Sendable {
    public var id: Int
    public var content: String
    /// Matched only where no word character (alphanumeric or "_") touches it on either side.
    public var singleWord: Bool
    /// The whitespace before it is part of the match.
    public var lstrip: Bool
    /// The whitespace after it is part of the match.
    public var rstrip: Bool
    /// Matched in the normalised text (true) or in the raw text (false).
    public var normalized: Bool
    public var special: Bool

    public init(id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    /// Reads one `added_tokens` entry (`id` and `content` required, the flags default to false,
    /// `normalized` to `!special` as in Hugging Face's `AddedToken::from`).
    init(json object: [String: Any], file: String, field: String) throws {
        guard let id = object["id"] as? Int, id >= 0 else {
            throw TokenizerError.invalidFile(file: file, field: "\(field).id", reason: "expected a non-negative integer")
        }
        guard let content = object["content"] as? String, !content.isEmpty else {
            throw TokenizerError.invalidFile(file: file, field: "\(field).content", reason: "expected a non-empty string")
        }
        let special = object["special"] as? Bool ?? false
        self.init(id: id, content: content, singleWord: object["single_word"] as? Bool ?? false,
                  lstrip: object["lstrip"] as? Bool ?? false, rstrip: object["rstrip"] as? Bool ?? false,
                  normalized: object["normalized"] as? Bool ?? !special, special: special)
    }
}

/// Finds added tokens in text the way `AddedVocabulary::find_matches` does: leftmost-longest
/// matches (its Aho-Corasick automaton), a `single_word` match dropped when a word character
/// touches it, then `lstrip` / `rstrip` widening the match over neighbouring whitespace.
struct AddedTokenMatcher: Sendable {
    private let tokens: [(bytes: [UInt8], token: AddedToken)]
    private let startsToken: [Bool]

    /// `tokens` with their content as matched (normalised for the normalised set).
    init(_ tokens: [(content: String, token: AddedToken)]) {
        self.tokens = tokens.map { (Array($0.content.utf8), $0.token) }.filter { !$0.0.isEmpty }
            .sorted { $0.0.count > $1.0.count }
        var starts = [Bool](repeating: false, count: 256)
        for entry in self.tokens { starts[Int(entry.bytes[0])] = true }
        startsToken = starts
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The parts of `text`: plain text (token nil) or an added token (with the whitespace it strips).
    func split(_ text: String) -> [(text: String, token: AddedToken?)] {
        guard !tokens.isEmpty, !text.isEmpty else { return [(text, nil)] }
        let bytes = Array(text.utf8)
        var parts: [(text: String, token: AddedToken?)] = []
        var consumed = 0
        var index = 0
        func plain(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        while index < bytes.count {
            guard startsToken[Int(bytes[index])],
                  let entry = tokens.first(where: { Self.occurs($0.bytes, in: bytes, at: index) }) else {
                index += 1
                continue
            }
            var start = index
            var stop = index + entry.bytes.count
            // Aho-Corasick's non-overlapping matches: the next search starts after this one
            // even when single_word drops it.
            index = stop
            if entry.token.singleWord {
                let before = start == 0 ? nil : plain(0..<start).unicodeScalars.last
                let after = stop == bytes.count ? nil : plain(stop..<bytes.count).unicodeScalars.first
                if before.map(Self.isWordCharacter) == true || after.map(Self.isWordCharacter) == true { continue }
            }
            if entry.token.lstrip {
                var newStart = start
                while newStart > consumed, let scalar = Self.scalar(endingAt: newStart, in: bytes), scalar.value.properties.isWhitespace {
                    newStart -= scalar.length
                }
                start = Swift.max(newStart, consumed)
            }
            if entry.token.rstrip {
                while stop < bytes.count, let scalar = Self.scalar(startingAt: stop, in: bytes), scalar.value.properties.isWhitespace {
                    stop += scalar.length
                }
            }
            if consumed < start { parts.append((plain(consumed..<start), nil)) }
            parts.append((plain(start..<stop), entry.token))
            consumed = stop
            index = Swift.max(index, stop)
        }
        if consumed < bytes.count { parts.append((plain(consumed..<bytes.count), nil)) }
        return parts
    }

    private static func occurs(_ token: [UInt8], in bytes: [UInt8], at offset: Int) -> Bool {
        guard offset + token.count <= bytes.count else { return false }
        for index in token.indices where bytes[offset + index] != token[index] { return false }
        return true
    }

    /// Rust's `char::is_alphanumeric() || c == '_'` (`ends_with_word` / `starts_with_word`).
    private static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    private static func scalar(startingAt offset: Int, in bytes: [UInt8]) -> (value: Unicode.Scalar, length: Int)? {
        var length = 1
        while offset + length < bytes.count, bytes[offset + length] & 0xC0 == 0x80 { length += 1 }
        guard let scalar = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self).unicodeScalars.first else { return nil }
        return (scalar, length)
    }

    private static func scalar(endingAt offset: Int, in bytes: [UInt8]) -> (value: Unicode.Scalar, length: Int)? {
        var start = offset - 1
        while start > 0, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0, let scalar = String(decoding: bytes[start..<offset], as: UTF8.self).unicodeScalars.first else { return nil }
        return (scalar, offset - start)
    }
}

/// A `Split` pre-tokeniser with behaviour `Isolated` (each match is a piece, and so is each
/// stretch of text between matches) and `invert` false.
struct IsolatedSplit: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable and documented thread-safe.
    let expression: NSRegularExpression

    /// GPT-2's pattern, which `ByteLevel(use_regex: true)` splits with.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Compiles a pattern of Hugging Face's (Oniguruma) regex syntax with ICU, whose syntax
    /// agrees on what the Llama-3 / Qwen2 / GPT-2 patterns use (`(?i:...)`, `\p{L}`, `\p{N}`,
    /// `{1,3}`, `(?!\S)`); both engines' `\s` is Unicode's White_Space (U+000B, U+0085, U+00A0,
    /// U+3000 included, U+200B and U+FEFF not). ICU matches code points, so a character outside
    /// the BMP (an emoji) is one character as in Oniguruma; ranges come back in UTF-16 offsets and
    /// are cut from the NSString they index.
    init(pattern: String, file: String, field: String) throws {
        do {
            expression = try NSRegularExpression(pattern: pattern)
        } catch {
            throw TokenizerError.invalidFile(file: file, field: field, reason: "the regular expression does not compile: \(error)")
        }
    }

    /// The pieces of `text`: the matches and the non-empty stretches between them, in order.
    func split(_ text: String) -> [String] {
        let string = text as NSString
        var pieces: [String] = []
        var last = 0
        for match in expression.matches(in: text, range: NSRange(location: 0, length: string.length)) {
            let range = match.range
            guard range.length > 0 else { continue }
            if range.location > last { pieces.append(string.substring(with: NSRange(location: last, length: range.location - last))) }
            pieces.append(string.substring(with: range))
            last = range.location + range.length
        }
        if last < string.length { pieces.append(string.substring(from: last)) }
        return pieces
    }
}

/// GPT-2's `bytes_to_unicode`: every byte as a printable character (the printable Latin-1 bytes
/// as themselves, the others as U+0100 onwards in byte order), so byte-level tokens are strings.
enum ByteLevelAlphabet {
    static let characters: [Character] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var scalars = printable
        var next = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            scalars.append(256 + next)
            next += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (byte, scalar) in zip(printable, scalars) {
            // Every value is below U+0144, a valid scalar.
            table[byte] = Character(Unicode.Scalar(UInt32(scalar)) ?? " ")
        }
        return table
    }()

    /// The byte-level string of UTF-8 bytes.
    static func string<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var result = ""
        for byte in bytes { result.append(characters[Int(byte)]) }
        return result
    }
}
