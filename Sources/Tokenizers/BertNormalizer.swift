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
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    scalars.append(" ")
                    continue
                }
            }
            if handleChineseChars, Self.isChinese(scalar) {
                scalars.append(" ")
                scalars.append(scalar)
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
        }
        var result = String(scalars)
        if stripAccents ?? lowercase {
            let decomposed = result.decomposedStringWithCanonicalMapping
            result = String(String.UnicodeScalarView(decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }))
        }
        if lowercase {
            // Character by character, as Rust's char::to_lowercase (no final-sigma context).
            var lowered = String.UnicodeScalarView()
            for scalar in result.unicodeScalars { lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
            result = String(lowered)
        }
        return result
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

    /// Rust's char::is_whitespace (the White_Space property), plus \t \n \r.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    /// Unicode category C* (control, format, unassigned, private use, surrogate) except \t \n \r.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// ASCII punctuation (including symbols such as $ + < = > ^ ` | ~) or Unicode category P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
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
