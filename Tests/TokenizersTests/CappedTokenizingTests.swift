import Foundation
import Testing
@testable import Tokenizers

/// Texts built to put every kind of boundary near a cut: long words, no whitespace, whitespace
/// runs (including U+0085 and U+000B, which the cleaner drops), added tokens, CJK, emoji,
/// combining marks out of canonical order, characters that lower-case to two scalars.
enum AdversarialText {
    static let fragments: [String] = [
        "word", "Words", "the", " ", "  ", "\n", "\n\n\n", "\t", "\r\n", "\u{85}", "\u{0B}", "\u{3000}", "\u{A0}", "\u{2003}",
        ".", ",", "!?", "(x)", "—", "«", "»", "'", "\"", "-", "don't", "e-mail", "3.14", "1,000",
        String(repeating: "a", count: 99), String(repeating: "b", count: 100), String(repeating: "c", count: 101),
        String(repeating: "supercalifragilistic", count: 8), "antidisestablishmentarianism",
        "[SEP]", "[CLS]", "[TURN]", "[PROMPT]", "[RESPONSE_A]", "[MASK]", "[SE", "P]", "[[SEP]]", "x[SEP]y",
        "hello world", "hello", "world",
        "日本語のテキスト", "中文文本", "한국어", "漢字", "\u{F900}",
        "😀", "👩‍👩‍👧‍👦", "🇫🇷", "👍🏽", "\u{FE0F}", "\u{200B}", "\u{200D}",
        "é", "e\u{301}", "a\u{301}\u{316}", "o\u{316}\u{301}\u{302}", "\u{301}", "Åström", "İstanbul", "ΣΑΣ", "ß",
        "ﬁ", "Ⅻ", "①", "ｆｕｌｌ", "مرحبا", "שלום", "\u{0F73}", "\u{FFFD}", "\u{0}",
        "CamelCase", "snake_case", "x=1;y=2", "<tag>", "https://example.com/a?b=c", "```swift\nlet x = 1\n```",
    ]

    /// Seeded random texts of fragments, from a few bytes to tens of kilobytes.
    static func texts(count: Int, seed: UInt64) -> [String] {
        var generator = SplitMix(seed: seed)
        return (0..<count).map { index in
            let length = [3, 20, 200, 2_000][index % 4]
            var text = ""
            for _ in 0..<length {
                let pick = Int(generator.next() % UInt64(fragments.count))
                text += fragments[pick]
                if generator.next() % 3 != 0 { text += " " }
            }
            return text
        }
    }
}

/// SplitMix64, for seeded texts.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Whether the capped ids equal the full ids' prefix and suffix for every limit; the first
/// difference, described, or nil.
func cappedMismatch(_ tokenizer: any Tokenizer, _ texts: [String], limits: [Int]) throws -> String? {
    for (index, text) in texts.enumerated() {
        let all = try tokenizer.tokenize(text)
        for limit in limits + [all.count - 1, all.count, all.count + 1] where limit >= 0 {
            let leading = try tokenizer.leadingIDs(of: text, limit: limit)
            if leading != Array(all.prefix(limit)) {
                return "text \(index) (\(text.utf8.count) bytes), leading \(limit): \(leading.count) ids, first difference at \(zip(leading, all).prefix { $0 == $1 }.count)"
            }
            let trailing = try tokenizer.trailingIDs(of: text, limit: limit)
            if trailing != Array(all.suffix(limit)) {
                return "text \(index) (\(text.utf8.count) bytes), trailing \(limit): \(trailing.count) ids"
            }
        }
    }
    return nil
}

@Suite struct CappedTokenizingTests {
    static let markers = ["[PROMPT]", "[RESPONSE_A]", "[RESPONSE_B]", "[TURN]", "hello world", "[[SEP]"]
    static let limits = [1, 3, 30, 251, 600]

    func fixtureWordPiece(lowercase: Bool = true, handleChineseChars: Bool = true) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyFile: try fixtureURL("wordpiece-vocab", "txt").path, lowercase: lowercase,
                               handleChineseChars: handleChineseChars)
    }

    /// The fixture vocabulary with its normaliser in four settings, with and without added
    /// tokens (one holding a space, one overlapping "[SEP]").
    @Test func wordPieceCapsEqualFullIDsOnAdversarialTexts() throws {
        let texts = AdversarialText.texts(count: 16, seed: 7)
        for tokenizer in [try fixtureWordPiece(), try fixtureWordPiece(lowercase: false), try fixtureWordPiece(handleChineseChars: false)] {
            for withMarkers in [false, true] {
                let tokenizer = withMarkers ? tokenizer.addingSpecialTokens(Self.markers) : tokenizer
                let mismatch = try cappedMismatch(tokenizer, texts, limits: Self.limits)
                #expect(mismatch == nil, "\(mismatch ?? "") (lowercase \(tokenizer.normalizer.lowercase), markers \(withMarkers))")
            }
        }
        var accentsKept = try fixtureWordPiece()
        accentsKept.normalizer.stripAccents = false
        #expect(try cappedMismatch(accentsKept, texts, limits: Self.limits) == nil)
    }

    @Test func miniLMCapsEqualFullIDs() throws {
        guard let folder = miniLMFolder() else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh (or set ARENA_MINILM)")
            return
        }
        let minilm = try #require(try TokenizerLoader.load(folder: folder) as? WordPieceTokenizer)
        let fixture = try TokenizerFixture.shared.get()
        // The sample's texts, alone and run together so that most are long enough to be cut.
        var texts = fixture.texts.filter { $0.utf8.count > 400 }
        texts.append(fixture.longText)
        texts += AdversarialText.texts(count: 12, seed: 11)
        #expect(try cappedMismatch(minilm, texts, limits: Self.limits) == nil)
        #expect(try cappedMismatch(minilm.addingSpecialTokens(Self.markers), AdversarialText.texts(count: 12, seed: 12), limits: Self.limits) == nil)
    }

    @Test func sentencePieceCapsEqualFullIDs() throws {
        let spm = try SentencePieceTokenizer(modelFile: try fixtureURL("spm", "model").path)
        #expect(spm.piecesStopAtSpaces)
        let fixture = try TokenizerFixture.shared.get()
        var texts = fixture.texts.filter { $0.utf8.count > 400 }
        texts.append(fixture.longText)
        texts += AdversarialText.texts(count: 24, seed: 13)
        #expect(try cappedMismatch(spm, texts, limits: Self.limits) == nil)
        let lowercased = try SentencePieceTokenizer(modelFile: try fixtureURL("spm", "model").path, lowercase: true)
        #expect(try cappedMismatch(lowercased, AdversarialText.texts(count: 8, seed: 15), limits: Self.limits) == nil)
        spm.addSpecialTokens(Self.markers)
        #expect(try cappedMismatch(spm, AdversarialText.texts(count: 12, seed: 14), limits: Self.limits) == nil)
        // A cut prefix really is shorter than the text.
        let long = fixture.longText
        let work = TokenizerWork()
        _ = try work.measure { try spm.leadingIDs(of: long, limit: 50) }
        #expect(work.bytesTokenized < 4_000)
    }

    /// `encode` with truncation reads only part of long texts; its encodings (and refusals)
    /// equal those framed from the whole texts' ids, for every strategy and side.
    @Test func encodeWithTruncationEqualsFramingWholeTexts() throws {
        let texts = AdversarialText.texts(count: 8, seed: 17).filter { $0.utf8.count > 2_000 }
        let lowercased = try SentencePieceTokenizer(modelFile: try fixtureURL("spm", "model").path, lowercase: true)
        let tokenizers: [any Tokenizer] = [try fixtureWordPiece().addingSpecialTokens(Self.markers), lowercased]
        for tokenizer in tokenizers {
            let first = texts[0]
            let second = texts[1]
            let whole = (try tokenizer.tokenize(first), try tokenizer.tokenize(second))
            for maxLength in [2, 3, 8, 33, 64, 257] {
                for strategy in TruncationStrategy.allCases {
                    for side in TruncationSide.allCases {
                        for pair in [false, true] {
                            let expected = Result { try tokenizer.frame(whole.0, pair ? whole.1 : nil, maxLength: maxLength, strategy: strategy, side: side) }
                            let actual = Result { try tokenizer.encode(first, pair: pair ? second : nil, maxLength: maxLength, strategy: strategy, side: side) }
                            switch (expected, actual) {
                            case let (.success(e), .success(a)):
                                #expect(a == e, "pair \(pair) max \(maxLength) \(strategy) \(side)")
                            case let (.failure(e), .failure(a)):
                                #expect("\(a)" == "\(e)")
                            default:
                                Issue.record("pair \(pair) max \(maxLength) \(strategy) \(side): \(expected) vs \(actual)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The streaming normaliser against the former one (Foundation's NFD of the whole text).
    @Test func normaliserEqualsWholeTextNFD() throws {
        let texts = AdversarialText.fragments + AdversarialText.texts(count: 8, seed: 3)
        for normalizer in [BertNormalizer(), BertNormalizer(lowercase: false), BertNormalizer(stripAccents: true, lowercase: false),
                           BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true)] {
            for text in texts {
                #expect(normalizer.normalize(text).unicodeScalars.elementsEqual(referenceNormalize(normalizer, text).unicodeScalars),
                        "\(String(reflecting: text.prefix(40)))")
            }
        }
    }

    /// The work of tokenising is linear in the text: at most a fixed number of steps (scalars
    /// looked at or written, bytes moved when the normaliser's buffer grows, vocabulary lookups)
    /// per byte, for the real sample run together to 10 MB with adversarial texts mixed in, and
    /// no more per byte than for the base text it repeats. WordPiece only: its whole pipeline is
    /// Swift, counted step by step (SentencePiece's model runs inside libsentencepiece, where
    /// only the bytes handed to it are counted). The former normaliser rebuilt its output on
    /// every scalar it lower-cased (`String.UnicodeScalarView.append(contentsOf:)`): counted the
    /// same way, n^2 / 2 bytes moved for n bytes.
    @Test func tokenisingWorkIsLinearInTheText() throws {
        let fixture = try TokenizerFixture.shared.get()
        let base = fixture.longText + AdversarialText.texts(count: 4, seed: 5).joined(separator: " ")
        let unit = base.utf8.count
        let text = String(repeating: base + " ", count: 10_000_000 / unit + 1)
        let tokenizer = try WordPieceTokenizer(vocabularyFile: try fixtureURL("wordpiece-vocab", "txt").path)
            .addingSpecialTokens(Self.markers)
        let small = TokenizerWork()
        let smallIDs = try small.measure { try tokenizer.tokenize(base) }
        let large = TokenizerWork()
        let largeIDs = try large.measure { try tokenizer.tokenize(text) }
        #expect(text.utf8.count >= 10_000_000)
        #expect(large.bytesTokenized == text.utf8.count)
        // Generous: this text takes about 8 steps a byte.
        #expect(large.steps <= 64 * text.utf8.count, "\(large.steps) steps for \(text.utf8.count) bytes")
        let perByteSmall = Double(small.steps) / Double(unit)
        let perByteLarge = Double(large.steps) / Double(text.utf8.count)
        #expect(perByteLarge <= 1.1 * perByteSmall, "\(perByteSmall) steps a byte for \(unit) bytes, \(perByteLarge) for \(text.utf8.count)")
        #expect(largeIDs.count >= smallIDs.count * (text.utf8.count / (unit + 1)))
    }

    /// Capping reads a bounded part of a long text, whatever its length.
    @Test func cappedTokenisingReadsABoundedPrefix() throws {
        let fixture = try TokenizerFixture.shared.get()
        let text = String(repeating: fixture.longText + " ", count: 20)  // 2 MB
        let wordpiece = try WordPieceTokenizer(vocabularyFile: try fixtureURL("wordpiece-vocab", "txt").path)
        for keepingEnd in [false, true] {
            let work = TokenizerWork()
            let ids = try work.measure {
                keepingEnd ? try wordpiece.trailingIDs(of: text, limit: 251) : try wordpiece.leadingIDs(of: text, limit: 251)
            }
            #expect(ids.count == 251)
            #expect(work.bytesTokenized < 20_000, "\(work.bytesTokenized) bytes tokenised")
            #expect(work.steps < 200_000, "\(work.steps) steps")
        }
        // No place to cut: the whole text, once.
        let unbroken = String(repeating: "abcdefgh", count: 25_000)
        let work = TokenizerWork()
        #expect(try work.measure { try wordpiece.leadingIDs(of: unbroken, limit: 10) } == [wordpiece.specialTokens.unknown])
        #expect(work.bytesTokenized == unbroken.utf8.count)
    }
}

/// The normaliser as it was before it streamed: whole-text NFD through Foundation.
func referenceNormalize(_ normalizer: BertNormalizer, _ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if normalizer.cleanText {
            if scalar.value == 0 || scalar.value == 0xFFFD || BertNormalizer.isControl(scalar) { continue }
            if BertNormalizer.isWhitespace(scalar) {
                scalars.append(" ")
                continue
            }
        }
        if normalizer.handleChineseChars, BertNormalizer.isChinese(scalar) {
            scalars.append(" ")
            scalars.append(scalar)
            scalars.append(" ")
        } else {
            scalars.append(scalar)
        }
    }
    var result = String(scalars)
    if normalizer.stripAccents ?? normalizer.lowercase {
        let decomposed = result.decomposedStringWithCanonicalMapping
        result = String(String.UnicodeScalarView(decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }))
    }
    if normalizer.lowercase {
        var lowered = String.UnicodeScalarView()
        for scalar in result.unicodeScalars { lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
        result = String(lowered)
    }
    return result
}
