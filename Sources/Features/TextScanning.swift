import ArenaData

// Single-pass scanners over the UTF-8 bytes of a text: word tokens and markdown structure.

@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte &- 0x41 < 26 ? byte | 0x20 : byte
}

@inline(__always)
func isASCIILetter(_ byte: UInt8) -> Bool {
    (byte | 0x20) &- 0x61 < 26
}

@inline(__always)
func isASCIIWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte &- 0x09) < 5  // space, \t \n \v \f \r
}

/// Calls `body` with the UTF-8 bytes of `text`, without copying a native string.
@inline(__always)
func withUTF8Bytes<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
    var copy = text
    return copy.withUTF8(body)
}

/// Word tokens as scikit-learn's default `token_pattern` (`(?u)\b\w\w+\b`) finds them: maximal
/// runs of letters, digits and underscores (any script) at least two characters long.
enum WordTokenizer {
    /// Calls `body(start, end)` with the byte range of each token of `bytes`, in order.
    @inline(__always)
    static func forEachToken(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        let count = bytes.count
        var position = 0
        while position < count {
            var (length, isWord) = scalarClass(bytes, position)
            guard isWord else {
                position += length
                continue
            }
            let start = position
            var characters = 0
            repeat {
                position += length
                characters += 1
                guard position < count else { break }
                (length, isWord) = scalarClass(bytes, position)
            } while isWord
            if characters >= 2 { body(start, position) }
        }
    }

    /// The FNV-1a hash of a token's bytes, ASCII letters lower-cased.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> UInt64 {
        continueHash(FNV1a.offsetBasis, bytes, from: start, to: end)
    }

    /// Extends `hash` with a token's bytes, ASCII letters lower-cased.
    @inline(__always)
    static func continueHash(_ hash: UInt64, _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> UInt64 {
        var result = hash
        for index in start..<end { result = FNV1a.combine(result, asciiLowercased(bytes[index])) }
        return result
    }

    /// The sorted, distinct hashes of the tokens of `texts` (a set of words, case-folded for ASCII).
    static func distinctWordHashes(_ texts: [String]) -> [UInt64] {
        var hashes: [UInt64] = []
        for text in texts {
            withUTF8Bytes(text) { bytes in
                forEachToken(in: bytes) { start, end in hashes.append(hash(bytes, from: start, to: end)) }
            }
        }
        hashes.sort()
        var distinct = 0
        for hash in hashes where distinct == 0 || hashes[distinct - 1] != hash {
            hashes[distinct] = hash
            distinct += 1
        }
        hashes.removeLast(hashes.count - distinct)
        return hashes
    }

    /// The byte length of the scalar that starts at `position`, and whether it is a word character.
    @inline(__always)
    private static func scalarClass(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int) -> (Int, Bool) {
        let lead = bytes[position]
        if lead < 0x80 {
            let isWord = (lead | 0x20) &- 0x61 < 26 || lead &- 0x30 < 10 || lead == 0x5F
            return (1, isWord)
        }
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC0...0xDF: (length, value) = (2, UInt32(lead & 0x1F))
        case 0xE0...0xEF: (length, value) = (3, UInt32(lead & 0x0F))
        case 0xF0...0xF7: (length, value) = (4, UInt32(lead & 0x07))
        default: return (1, false)
        }
        guard position + length <= bytes.count else { return (1, false) }
        for offset in 1..<length { value = value << 6 | UInt32(bytes[position + offset] & 0x3F) }
        guard let scalar = Unicode.Scalar(value) else { return (length, false) }
        let properties = scalar.properties
        return (length, properties.isAlphabetic || properties.numericType != nil)
    }
}

/// The number of elements two sorted, distinct arrays share.
func sharedCount(_ left: [UInt64], _ right: [UInt64]) -> Int {
    var (i, j, shared) = (0, 0, 0)
    while i < left.count && j < right.count {
        if left[i] < right[j] {
            i += 1
        } else if left[i] > right[j] {
            j += 1
        } else {
            shared += 1
            i += 1
            j += 1
        }
    }
    return shared
}

/// Surface and markdown structure counts of one or more texts (the turns of one side), from one
/// pass over each text's UTF-8 bytes.
///
/// What is counted, line by line (a line's indentation is skipped first):
/// - lines: lines with a non-whitespace character; paragraphs: runs of such lines (each turn
///   starts a new one);
/// - list items: lines starting with `- `, `* `, `+ `, `• ` or 1 to 3 digits and `. ` or `) `;
/// - headers: lines starting with 1 to 6 `#` and a space;
/// - code blocks: fence lines (```` ``` ```` or `~~~`), two per block (an unclosed one counts);
///   list items, headers and tables inside a fenced block are not counted;
/// - tables: table rule lines such as `|---|:--:|` (only `|`, `-`, `:` and blanks, with at
///   least one `|` and one `-`), one per table;
/// and anywhere in the text:
/// - words: runs of non-whitespace bytes, as Python's `str.split()` counts them for ASCII;
/// - bold: pairs of `**`; links: markdown links `](` plus bare `http://` / `https://` URLs;
/// - LaTeX: pairs of `$$`, and each `\(`, `\[` and `\begin{`;
/// - question marks; refusals: the phrases in `refusalPhrases`, case-insensitive, with a
///   straight or curly apostrophe, starting and ending at a word boundary.
struct TextStructure: Sendable, Equatable {
    var characters = 0
    var words = 0
    var lines = 0
    var paragraphs = 0
    var listItems = 0
    var headers = 0
    var boldMarkers = 0
    var codeFences = 0
    var links = 0
    var tables = 0
    var displayMathMarkers = 0
    var otherMathMarkers = 0
    var questionMarks = 0
    var refusals = 0

    var bold: Int { boldMarkers / 2 }
    var codeBlocks: Int { (codeFences + 1) / 2 }
    var latex: Int { (displayMathMarkers + 1) / 2 + otherMathMarkers }

    /// Refusal and apology phrases, lower-case; `'` matches a straight or a curly apostrophe.
    static let refusalPhrases: [[UInt8]] = [
        "i'm sorry", "i am sorry", "i apologize", "as an ai", "as a language model", "i cannot", "i can't",
        "i'm unable", "i am unable", "i'm not able", "i am not able",
    ].map { Array($0.utf8) }
    private static let urlSchemes: [[UInt8]] = [Array("http://".utf8), Array("https://".utf8)]
    private static let beginEnvironment = Array("\\begin{".utf8)

    init() {}

    /// The counts of `turns` together.
    init(turns: [String]) {
        for turn in turns { _ = add(turn) }
    }

    /// Adds the counts of one turn; returns its length in Unicode scalars and whether it is blank
    /// (holds no non-whitespace character).
    @discardableResult
    mutating func add(_ text: String) -> (characters: Int, isBlank: Bool) {
        withUTF8Bytes(text) { add(bytes: $0) }
    }

    private mutating func add(bytes: UnsafeBufferPointer<UInt8>) -> (characters: Int, isBlank: Bool) {
        let count = bytes.count
        var characters = 0
        var nonBlankLines = 0
        var atLineStart = true
        var inParagraph = false
        var inFencedCode = false
        var inWord = false
        var index = 0
        while index < count {
            let byte = bytes[index]
            if byte & 0xC0 != 0x80 { characters += 1 }
            if byte == 0x0A {
                if atLineStart { inParagraph = false }
                atLineStart = true
                inWord = false
                index += 1
                continue
            }
            let isWhitespace = isASCIIWhitespace(byte)
            if atLineStart {
                if isWhitespace {
                    index += 1
                    continue
                }
                atLineStart = false
                nonBlankLines += 1
                if !inParagraph {
                    paragraphs += 1
                    inParagraph = true
                }
                classifyLine(bytes, from: index, inFencedCode: &inFencedCode)
            }
            if isWhitespace {
                inWord = false
            } else if !inWord {
                inWord = true
                words += 1
            }
            let consumed = scanInline(bytes, at: index)
            characters += consumed - 1  // markers longer than a byte are ASCII: a character a byte
            index += consumed
        }
        self.characters += characters
        lines += nonBlankLines
        return (characters, nonBlankLines == 0)
    }

    /// Counts the line-level structure of the line whose first non-blank byte is at `start`.
    private mutating func classifyLine(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, inFencedCode: inout Bool) {
        let count = bytes.count
        @inline(__always) func byte(_ offset: Int) -> UInt8 { start + offset < count ? bytes[start + offset] : 0x0A }
        let first = byte(0)
        if (first == 0x60 || first == 0x7E) && byte(1) == first && byte(2) == first {  // ``` or ~~~
            codeFences += 1
            inFencedCode.toggle()
            return
        }
        if inFencedCode { return }
        @inline(__always) func isBlank(_ value: UInt8) -> Bool { value == 0x20 || value == 0x09 }
        @inline(__always) func endsMarker(_ offset: Int) -> Bool { isBlank(byte(offset)) }
        switch first {
        case 0x23:  // #
            var level = 1
            while level < 7 && byte(level) == 0x23 { level += 1 }
            let next = byte(level)
            if level <= 6 && (isBlank(next) || next == 0x0A || next == 0x0D) { headers += 1 }
        case 0x2D, 0x2A, 0x2B:  // - * +
            if endsMarker(1) {
                listItems += 1
            } else if first == 0x2D {
                countTableRule(bytes, from: start)
            }
        case 0x7C, 0x3A:  // | :
            countTableRule(bytes, from: start)
        case 0x30...0x39:
            var digits = 1
            while digits < 4 && byte(digits) &- 0x30 < 10 { digits += 1 }
            let marker = byte(digits)
            if digits <= 3 && (marker == 0x2E || marker == 0x29) && endsMarker(digits + 1) { listItems += 1 }
        case 0xE2:  // • is E2 80 A2
            if byte(1) == 0x80 && byte(2) == 0xA2 && endsMarker(3) { listItems += 1 }
        default:
            break
        }
    }

    private mutating func countTableRule(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) {
        var pipes = 0
        var dashes = 0
        var index = start
        while index < bytes.count && bytes[index] != 0x0A {
            switch bytes[index] {
            case 0x7C: pipes += 1
            case 0x2D: dashes += 1
            case 0x3A, 0x20, 0x09, 0x0D: break
            default: return
            }
            index += 1
        }
        if pipes > 0 && dashes > 0 { tables += 1 }
    }

    /// Counts the inline markers that start at `index`; returns how many bytes were consumed.
    @inline(__always)
    private mutating func scanInline(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let count = bytes.count
        let byte = bytes[index]
        @inline(__always) func next(_ offset: Int) -> UInt8 { index + offset < count ? bytes[index + offset] : 0 }
        switch byte {
        case 0x3F:  // ?
            questionMarks += 1
        case 0x2A where next(1) == 0x2A:  // **
            boldMarkers += 1
            return 2
        case 0x5D where next(1) == 0x28:  // ](
            links += 1
            return 2
        case 0x68, 0x48:  // h: a bare URL, unless it is the target of a markdown link just counted
            let startsURL = asciiLowercased(next(1)) == 0x74 && asciiLowercased(next(2)) == 0x74
                && asciiLowercased(next(3)) == 0x70
                && TextStructure.urlSchemes.contains { matchEnd($0, bytes, at: index) != nil }
            let isLinkTarget = index >= 2 && bytes[index - 2] == 0x5D && bytes[index - 1] == 0x28
            if startsURL && !isLinkTarget { links += 1 }
        case 0x24 where next(1) == 0x24:  // $$
            displayMathMarkers += 1
            return 2
        case 0x5C:  // backslash
            let following = next(1)
            if following == 0x28 || following == 0x5B {
                otherMathMarkers += 1
                return 2
            }
            if next(1) == 0x62 && matchEnd(TextStructure.beginEnvironment, bytes, at: index) != nil { otherMathMarkers += 1 }
        case 0x69, 0x49, 0x61, 0x41:  // i, a: a refusal phrase may start here
            if index == 0 || !isASCIILetter(bytes[index - 1]) {
                for phrase in TextStructure.refusalPhrases {
                    if let end = matchEnd(phrase, bytes, at: index), end == count || !isASCIILetter(bytes[end]) {
                        refusals += 1
                        break
                    }
                }
            }
        default:
            break
        }
        return 1
    }

    /// Where `pattern` (lower-case ASCII, `'` for either apostrophe) ends if it matches `bytes` at
    /// `index` case-insensitively; nil otherwise.
    private func matchEnd(_ pattern: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        var position = index
        for expected in pattern {
            guard position < bytes.count else { return nil }
            if expected == 0x27 {
                if bytes[position] == 0x27 {
                    position += 1
                } else if position + 2 < bytes.count && bytes[position] == 0xE2 && bytes[position + 1] == 0x80
                    && bytes[position + 2] == 0x99
                {
                    position += 3  // ’
                } else {
                    return nil
                }
            } else {
                guard asciiLowercased(bytes[position]) == expected else { return nil }
                position += 1
            }
        }
        return position
    }
}
