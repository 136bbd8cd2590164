import Foundation
import Testing
@testable import Tokenizers

/// Ids written by tools/make_tokenizer_fixtures.py with Hugging Face transformers 4.40.2 /
/// tokenizers 0.19.1 for texts of the real sample and edge cases.
struct TokenizerFixture: Decodable {
    struct Digest: Decodable {
        let count: Int
        let sha256: String
    }

    struct LongText: Decodable {
        let wordpiece: Digest
        let minilm: Digest
        let sentencepiece: Digest
    }

    struct Framed: Decodable {
        let tokenizer: String
        let first: Int?
        let second: Int?
        let text: Int?
        let strategy: String?
        let side: String?
        let max_length: Int?
        let input_ids: [Int]?
        let token_type_ids: [Int]?
        let attention_mask: [Int]?
    }

    struct Added: Decodable {
        let tokens: [String]
        let text: String
        let ids: [Int]
        let token_ids: [Int]
    }

    let texts: [String]
    let long_text: LongText
    let wordpiece: [[Int]]
    let minilm: [[Int]]
    let sentencepiece: [[Int]]
    let single: [Framed]
    let pairs: [Framed]
    let added_tokens: [String: Added]

    static let shared: Result<TokenizerFixture, Error> = Result {
        let url = try fixtureURL("tokenizer-ids", "json")
        return try JSONDecoder().decode(TokenizerFixture.self, from: Data(contentsOf: url))
    }

    /// The 100,000-character text: the first 200 texts joined by spaces, repeated, cut.
    var longText: String {
        let base = texts.prefix(200).joined(separator: " ") + " "
        var scalars = String.UnicodeScalarView()
        while scalars.count < 100_000 { scalars.append(contentsOf: base.unicodeScalars) }
        return String(String.UnicodeScalarView(scalars.prefix(100_000)))
    }
}

func fixtureURL(_ name: String, _ ext: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures") else {
        throw TokenizerError.cannotRead(file: "Fixtures/\(name).\(ext)", reason: "missing from the test bundle")
    }
    return url
}

/// The installed all-MiniLM-L6-v2 folder (scripts/setup-models.sh), or ARENA_MINILM.
func miniLMFolder() -> String? {
    if let path = ProcessInfo.processInfo.environment["ARENA_MINILM"], !path.isEmpty { return path }
    var folder = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { folder.deleteLastPathComponent() }
    let candidate = folder.appendingPathComponent(".models/all-MiniLM-L6-v2").path
    return FileManager.default.fileExists(atPath: candidate + "/config.json") ? candidate : nil
}

/// SHA-256 of the ids joined by commas, as the fixture script computes it (via sha256sum, to
/// stay free of crypto packages).
func digest(_ ids: [Int]) throws -> String {
    let text = ids.map(String.init).joined(separator: ",")
    let input = Pipe()
    let output = Pipe()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}

/// The first text whose ids differ, described for a failure message.
func firstMismatch(_ tokenizer: any Tokenizer, _ texts: [String], _ expected: [[Int]]) throws -> String? {
    for (index, (text, ids)) in zip(texts, expected).enumerated() {
        let actual = try tokenizer.tokenize(text)
        if actual != ids {
            let at = zip(actual, ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? Swift.min(actual.count, ids.count)
            return "text \(index) \(String(reflecting: String(text.prefix(80)))): first difference at id \(at): swift \(Array(actual[at...].prefix(8))) vs hf \(Array(ids[at...].prefix(8)))"
        }
    }
    return nil
}

@Suite struct WordPieceParityTests {
    let fixture: TokenizerFixture

    init() throws {
        fixture = try TokenizerFixture.shared.get()
    }

    func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyFile: try fixtureURL("wordpiece-vocab", "txt").path)
    }

    @Test func idsEqualHuggingFaceOnEveryText() throws {
        #expect(fixture.texts.count >= 500)
        let mismatch = try firstMismatch(try tokenizer(), fixture.texts, fixture.wordpiece)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    @Test func hundredThousandCharacters() throws {
        let ids = try tokenizer().tokenize(fixture.longText)
        #expect(ids.count == fixture.long_text.wordpiece.count)
        #expect(try digest(ids) == fixture.long_text.wordpiece.sha256)
    }

    @Test func framingTruncationAndPaddingEqualHuggingFace() throws {
        let wordpiece = try tokenizer()
        for case let framed in fixture.single where framed.tokenizer == "wordpiece" {
            let text = fixture.texts[try #require(framed.text)]
            let encoding = try wordpiece.encode(text, maxLength: 32)
            #expect(encoding.ids == framed.input_ids, "single text \(framed.text ?? -1)")
            #expect(encoding.typeIDs == framed.token_type_ids)
            #expect(encoding.attentionMask == framed.attention_mask)
        }
        try checkPairs(wordpiece, name: "wordpiece", fixture: fixture)
    }

    @Test func addedSpecialTokensStayWhole() throws {
        let added = try #require(fixture.added_tokens["wordpiece"])
        let wordpiece = try tokenizer().addingSpecialTokens(added.tokens)
        #expect(added.tokens.map { wordpiece.id(of: $0) } == added.token_ids.map { Optional($0) })
        #expect(try wordpiece.tokenize(added.text) == added.ids)
    }

    @Test func miniLMIdsEqualHuggingFace() throws {
        guard let folder = miniLMFolder() else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh (or set ARENA_MINILM)")
            return
        }
        let minilm = try TokenizerLoader.load(folder: folder)
        let mismatch = try firstMismatch(minilm, fixture.texts, fixture.minilm)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        let ids = try minilm.tokenize(fixture.longText)
        #expect(try digest(ids) == fixture.long_text.minilm.sha256)
        // Both of the folder's tokenizer files give the same ids.
        let fromVocabulary = try WordPieceTokenizer(vocabularyFile: folder + "/vocab.txt")
        #expect(try firstMismatch(fromVocabulary, Array(fixture.texts.prefix(100)), Array(fixture.minilm.prefix(100))) == nil)
    }
}

func checkPairs(_ tokenizer: any Tokenizer, name: String, fixture: TokenizerFixture) throws {
    var checked = 0
    for framed in fixture.pairs where framed.tokenizer == name {
        let first = fixture.texts[try #require(framed.first)]
        let second = fixture.texts[try #require(framed.second)]
        let strategyName = try #require(framed.strategy)
        let sideName = try #require(framed.side)
        let strategy = try #require(TruncationStrategy(rawValue: strategyName))
        let side = try #require(TruncationSide(rawValue: sideName))
        let maxLength = try #require(framed.max_length)
        guard let expected = framed.input_ids, expected.count <= maxLength else {
            // Hugging Face raises (fast) or logs an error and returns the pair uncut (slow); arena refuses.
            #expect(throws: TokenizerError.self, "\(strategy) \(side) cannot fit") {
                try tokenizer.encode(first, pair: second, maxLength: maxLength, strategy: strategy, side: side)
            }
            continue
        }
        let encoding = try tokenizer.encode(first, pair: second, maxLength: maxLength, strategy: strategy, side: side)
        #expect(encoding.ids == expected, "\(name) pair \(framed.first ?? -1) \(strategy) \(side)")
        #expect(encoding.typeIDs == framed.token_type_ids, "\(name) pair types \(strategy) \(side)")
        checked += 1
    }
    #expect(checked >= 40)
}

@Suite struct SentencePieceParityTests {
    let fixture: TokenizerFixture

    init() throws {
        fixture = try TokenizerFixture.shared.get()
    }

    func tokenizer() throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(modelFile: try fixtureURL("spm", "model").path)
    }

    @Test func idsEqualDebertaV2TokenizerOnEveryText() throws {
        let spm = try tokenizer()
        #expect(spm.specialTokens == SpecialTokenIDs(classification: 1, separator: 2, padding: 0, unknown: 3))
        let mismatch = try firstMismatch(spm, fixture.texts, fixture.sentencepiece)
        #expect(mismatch == nil, "\(mismatch ?? "")")
        #expect(try digest(spm.tokenize(fixture.longText)) == fixture.long_text.sentencepiece.sha256)
    }

    @Test func framingAndTruncationEqualDebertaV2Tokenizer() throws {
        let spm = try tokenizer()
        for case let framed in fixture.single where framed.tokenizer == "sentencepiece" {
            let text = fixture.texts[try #require(framed.text)]
            #expect(try spm.encode(text, maxLength: 32).ids == framed.input_ids)
        }
        try checkPairs(spm, name: "sentencepiece", fixture: fixture)
    }
}
