import Foundation
import Testing
@testable import Tokenizers

/// Ids written by tools/make_decoder_tokenizer_fixtures.py with transformers 4.40.2 / tokenizers
/// 0.19.1 / sentencepiece 0.1.99 for tiny decoder tokenizers trained on the sample.
struct DecoderTokenizerFixture: Decodable {
    struct Framed: Decodable {
        let text: Int
        let ids: [Int]
    }

    struct Reference: Decodable {
        let ids: [[Int]]
        let with_special_tokens: [Framed]
    }

    let texts: [String]
    let llama3: Reference
    let qwen2: Reference
    let gpt2: Reference
    let llama2: Reference
    let llama2_nonlegacy: Reference
    let gemma: Reference

    static let shared: Result<DecoderTokenizerFixture, Error> = Result {
        let url = try decoderFixtureFolder().appendingPathComponent("ids.json")
        return try JSONDecoder().decode(DecoderTokenizerFixture.self, from: Data(contentsOf: url))
    }

    func reference(_ name: String) -> Reference? {
        ["llama3": llama3, "qwen2": qwen2, "gpt2": gpt2, "llama2": llama2, "llama2_nonlegacy": llama2_nonlegacy, "gemma": gemma][name]
    }
}

func decoderFixtureFolder() throws -> URL {
    guard let url = Bundle.module.url(forResource: "decoder-tokenizers", withExtension: nil, subdirectory: "Fixtures") else {
        throw TokenizerError.cannotRead(file: "Fixtures/decoder-tokenizers", reason: "missing from the test bundle")
    }
    return url
}

/// The first text whose ids differ from the reference, described; nil when all agree.
func firstMismatch(_ tokenizer: any Tokenizer, _ reference: DecoderTokenizerFixture.Reference, texts: [String]) throws -> String? {
    for (index, text) in texts.enumerated() {
        let ids = try tokenizer.tokenize(text)
        if ids != reference.ids[index] {
            return "text \(index) \(String(reflecting: String(text.prefix(80)))): got \(ids.prefix(40)), expected \(reference.ids[index].prefix(40))"
        }
    }
    for framed in reference.with_special_tokens {
        guard let special = tokenizer.decoderSpecialTokens else { return "no decoder special tokens" }
        let ids = special.framing(try tokenizer.tokenize(texts[framed.text]))
        if ids != framed.ids { return "text \(framed.text) with special tokens: got \(ids.prefix(8)), expected \(framed.ids.prefix(8))" }
    }
    return nil
}

private func scratchJSON(_ contents: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-bpe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent("tokenizer.json").path
    try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct ByteLevelBPETests {
    @Test(arguments: ["llama3", "qwen2", "gpt2"])
    func idsEqualHuggingFace(name: String) throws {
        let fixture = try DecoderTokenizerFixture.shared.get()
        let folder = try decoderFixtureFolder().appendingPathComponent(name).path
        let tokenizer = try TokenizerLoader.load(folder: folder)
        #expect(tokenizer is ByteLevelBPETokenizer)
        let reference = try #require(fixture.reference(name))
        #expect(reference.ids.count == fixture.texts.count)
        let mismatch = try firstMismatch(tokenizer, reference, texts: fixture.texts)
        #expect(mismatch == nil, "\(name): \(mismatch ?? "")")
    }

    /// The fixture's texts hold what the byte-level pipeline must get right.
    @Test func fixtureCoversTheEdgeCases() throws {
        let texts = try DecoderTokenizerFixture.shared.get().texts
        #expect(texts.contains(""))
        #expect(texts.contains { $0.unicodeScalars.contains { $0.value > 0xFFFF } })  // emoji outside the BMP
        #expect(texts.contains { $0.contains("<|eot_id|>") } && texts.contains { $0.contains("<|im_start|>") })
        #expect(texts.contains { $0.unicodeScalars.contains("\u{0301}") })  // NFD input
        #expect(texts.contains { $0.unicodeScalars.contains("\u{85}") })  // Oniguruma's \s, not ICU's
    }

    @Test func specialTokensOfLlama3AndQwen2() throws {
        let folder = try decoderFixtureFolder()
        let llama3 = try #require(try TokenizerLoader.load(folder: folder.appendingPathComponent("llama3").path) as? ByteLevelBPETokenizer)
        let begin = try #require(llama3.id(of: "<|begin_of_text|>"))
        let eot = try #require(llama3.id(of: "<|eot_id|>"))
        // bos from tokenizer_config.json, addBOS from the TemplateProcessing (no add_bos_token).
        #expect(llama3.decoderSpecialTokens == DecoderSpecialTokens(bos: begin, eos: eot, pad: nil, addBOS: true, addEOS: false))
        #expect(llama3.specialTokens == SpecialTokenIDs(classification: begin, separator: eot, padding: eot, unknown: eot))
        #expect(llama3.ignoreMerges && !llama3.normalizesNFC)
        #expect(llama3.sequencePrefix == [begin])
        let qwen2 = try #require(try TokenizerLoader.load(folder: folder.appendingPathComponent("qwen2").path) as? ByteLevelBPETokenizer)
        let imEnd = try #require(qwen2.id(of: "<|im_end|>"))
        let endOfText = try #require(qwen2.id(of: "<|endoftext|>"))
        #expect(qwen2.decoderSpecialTokens == DecoderSpecialTokens(bos: nil, eos: imEnd, pad: endOfText, addBOS: false, addEOS: false))
        #expect(qwen2.specialTokens == SpecialTokenIDs(classification: imEnd, separator: imEnd, padding: endOfText, unknown: imEnd))
        #expect(qwen2.normalizesNFC && !qwen2.ignoreMerges)
        #expect(qwen2.sequencePrefix.isEmpty)
        #expect(try qwen2.tokenize("a<|im_start|>b").contains(try #require(qwen2.id(of: "<|im_start|>"))))
    }

    /// Decoding the ids gives the text back (byte-level BPE loses nothing; Qwen2 gives its NFC).
    @Test func decodeRoundTrips() throws {
        let fixture = try DecoderTokenizerFixture.shared.get()
        let folder = try decoderFixtureFolder()
        for name in ["llama3", "qwen2"] {
            let tokenizer = try ByteLevelBPETokenizer(tokenizerJSONFile: folder.appendingPathComponent("\(name)/tokenizer.json").path,
                                                      configFile: folder.appendingPathComponent("\(name)/tokenizer_config.json").path)
            for text in fixture.texts {
                let expected = name == "qwen2" ? text.precomposedStringWithCanonicalMapping : text
                #expect(Array(tokenizer.decode(try tokenizer.tokenize(text)).utf8) == Array(expected.utf8), "\(name): \(text.prefix(40))")
            }
        }
    }

    @Test func loaderPicksByFiles() throws {
        let folder = try decoderFixtureFolder()
        #expect(try TokenizerLoader.load(folder: folder.appendingPathComponent("llama3").path) is ByteLevelBPETokenizer)
        // Llama-2's folder has a Metaspace tokenizer.json beside tokenizer.model: SentencePiece reads it.
        let llama2 = try TokenizerLoader.load(folder: folder.appendingPathComponent("llama2").path)
        #expect(llama2 is SentencePieceTokenizer)
        #expect(llama2.decoderSpecialTokens != nil)
        #expect(try TokenizerLoader.load(folder: folder.appendingPathComponent("gemma").path) is SentencePieceTokenizer)
        // Without tokenizer.model, that tokenizer.json is refused naming pre_tokenizer.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("arena-metaspace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.copyItem(at: folder.appendingPathComponent("llama2/tokenizer.json"),
                                         to: scratch.appendingPathComponent("tokenizer.json"))
        #expect(throws: TokenizerError.self) { try TokenizerLoader.load(folder: scratch.path) }
        do {
            _ = try TokenizerLoader.load(folder: scratch.path)
        } catch let error as TokenizerError {
            #expect(error.description.contains("pre_tokenizer"), "\(error)")
        }
    }

    /// A tokenizer.json with the given parts, a byte-level BPE over "a", "b", "ab" otherwise.
    private func file(normalizer: String = "null", preTokenizer: String = #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"#,
                      modelType: String = "BPE", merges: String = #"["a b"]"#) -> String {
        #"{"added_tokens": [{"id": 3, "content": "<|eos|>", "special": true}], "normalizer": \#(normalizer), "pre_tokenizer": \#(preTokenizer), "#
            + #""model": {"type": "\#(modelType)", "vocab": {"a": 0, "b": 1, "ab": 2, "<|eos|>": 3}, "merges": \#(merges)}}"#
    }

    private func expectUnsupported(_ contents: String, field: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try scratchJSON(contents)
        do {
            _ = try ByteLevelBPETokenizer(tokenizerJSONFile: path)
            Issue.record("no error", sourceLocation: sourceLocation)
        } catch let error as TokenizerError {
            #expect(error.description.contains(path) && error.description.contains(field), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func badTokenizerJSON() throws {
        let path = try scratchJSON(file())
        let config = (path as NSString).deletingLastPathComponent + "/tokenizer_config.json"
        try #"{"eos_token": {"content": "<|eos|>"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let good = try ByteLevelBPETokenizer(tokenizerJSONFile: path, configFile: config)
        #expect(try good.tokenize("abab<|eos|>b") == [2, 2, 3, 1])
        #expect(good.specialTokens == SpecialTokenIDs(classification: 3, separator: 3, padding: 3, unknown: 3))
        // Without a config nor a template, no eos can be found.
        #expect(throws: TokenizerError.self) { try ByteLevelBPETokenizer(tokenizerJSONFile: path) }
        try #"{"eos_token": "<|none|>"}"#.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.missingToken(file: config, token: "<|none|> (eos_token)")) {
            try ByteLevelBPETokenizer(tokenizerJSONFile: path, configFile: config)
        }
        try expectUnsupported(file(normalizer: #"{"type": "NFKC"}"#), field: "normalizer.type")
        try expectUnsupported(file(preTokenizer: #"{"type": "Metaspace", "replacement": "▁"}"#), field: "pre_tokenizer.type")
        try expectUnsupported(file(preTokenizer: #"{"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "ByteLevel"}]}"#),
                              field: "pre_tokenizer.pretokenizers[0].type")
        try expectUnsupported(file(preTokenizer: #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Removed", "invert": false}, {"type": "ByteLevel"}]}"#),
                              field: "pre_tokenizer.pretokenizers[0].behavior")
        try expectUnsupported(file(modelType: "Unigram"), field: "model.type")
        try expectUnsupported(file(merges: #"["a c"]"#), field: "model.merges[0]")
        try expectUnsupported(file(merges: #"["b a"]"#), field: "model.merges[0]")  // "ba" is not in the vocabulary
        try expectUnsupported(file(preTokenizer: #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel"}]}"#),
                              field: "pre_tokenizer.pretokenizers[0].pattern.Regex")
    }

    /// `model.ignore_merges`: a piece in the vocabulary is taken whole even when no merges lead to
    /// it (ids from tokenizers 0.19.1 on this file: [4, 5, 3, 5, 3, 2, 2], and without the flag
    /// [3, 2, 5, 3, 5, 3, 2, 2]).
    @Test func ignoreMergesTakesWholePieces() throws {
        for (ignore, expected) in [(true, [4, 5, 3, 5, 3, 2, 2]), (false, [3, 2, 5, 3, 5, 3, 2, 2])] {
            let path = try scratchJSON(#"{"added_tokens": [], "normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}, "#
                + #""model": {"type": "BPE", "ignore_merges": \#(ignore), "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "Ġ": 5}, "merges": ["a b"]}}"#)
            let config = (path as NSString).deletingLastPathComponent + "/tokenizer_config.json"
            try #"{"eos_token": "c"}"#.write(toFile: config, atomically: true, encoding: .utf8)
            let tokenizer = try ByteLevelBPETokenizer(tokenizerJSONFile: path, configFile: config)
            #expect(try tokenizer.tokenize("abc ab abcc") == expected, "ignore_merges \(ignore)")
        }
    }

    /// Splits equal to tokenizers 0.19.1 (Oniguruma) on White_Space characters and around non-BMP characters.
    @Test func regexSplitsMatchOniguruma() throws {
        let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let split = try IsolatedSplit(pattern: llama3, file: "test", field: "pattern")
        #expect(split.split("I'M 12345 😀🚀 a\u{85}\u{0B}b") == ["I", "'M", " ", "123", "45", " 😀🚀", " a", "\u{85}", "\u{0B}b"])
        #expect(split.split("x\n\n  y") == ["x", "\n\n", " ", " y"])
    }
}
