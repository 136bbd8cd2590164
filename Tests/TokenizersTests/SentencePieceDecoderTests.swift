import Foundation
import Testing
@testable import Tokenizers

/// Llama-2 / Gemma-style SentencePiece models (BPE with byte fallback) against transformers'
/// slow LlamaTokenizer (legacy=True) and GemmaTokenizer, from tools/make_decoder_tokenizer_fixtures.py.
@Suite struct SentencePieceDecoderTests {
    @Test(arguments: ["llama2", "gemma"])
    func idsEqualHuggingFace(name: String) throws {
        let fixture = try DecoderTokenizerFixture.shared.get()
        let tokenizer = try TokenizerLoader.load(folder: try decoderFixtureFolder().appendingPathComponent(name).path)
        #expect(tokenizer is SentencePieceTokenizer)
        let reference = try #require(fixture.reference(name))
        let mismatch = try firstMismatch(tokenizer, reference, texts: fixture.texts)
        #expect(mismatch == nil, "\(name): \(mismatch ?? "")")
        // leadingIDs falls back to the whole text for these models: still a prefix of the ids.
        for (index, text) in fixture.texts.enumerated() {
            #expect(try tokenizer.leadingIDs(of: text, limit: 7) == Array(reference.ids[index].prefix(7)))
        }
    }

    @Test func specialTokens() throws {
        let folder = try decoderFixtureFolder()
        let llama2 = try TokenizerLoader.load(folder: folder.appendingPathComponent("llama2").path)
        // <unk> 0, <s> 1, </s> 2, no pad: padding falls back to eos.
        #expect(llama2.decoderSpecialTokens == DecoderSpecialTokens(bos: 1, eos: 2, pad: nil, addBOS: true, addEOS: false))
        #expect(llama2.specialTokens == SpecialTokenIDs(classification: 1, separator: 2, padding: 2, unknown: 0))
        #expect(llama2.sequencePrefix == [1])
        #expect(try llama2.tokenize("a</s>b").contains(2))
        let gemma = try TokenizerLoader.load(folder: folder.appendingPathComponent("gemma").path)
        // <pad> 0, <eos> 1, <bos> 2, <unk> 3.
        #expect(gemma.decoderSpecialTokens == DecoderSpecialTokens(bos: 2, eos: 1, pad: 0, addBOS: true, addEOS: false))
        #expect(gemma.specialTokens == SpecialTokenIDs(classification: 2, separator: 1, padding: 0, unknown: 3))
        #expect(gemma.sequencePrefix == [2])
        // tokenizer.model alone: the model's own pieces.
        let bare = try SentencePieceTokenizer(decoderModelFile: folder.appendingPathComponent("gemma/tokenizer.model").path)
        #expect(bare.decoderSpecialTokens == DecoderSpecialTokens(bos: 2, eos: 1, pad: 0, addBOS: true, addEOS: false))
        #expect(bare.addedTokens == ["<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3])
    }

    /// DeBERTa's framing is unchanged by the decoder one.
    @Test func debertaHasNoDecoderTokens() throws {
        let deberta = try SentencePieceTokenizer(modelFile: try fixtureURL("spm", "model").path)
        #expect(deberta.decoderSpecialTokens == nil)
        #expect(deberta.sequencePrefix.isEmpty)
        #expect(deberta.addedTokens["[MASK]"] == deberta.pieceCount)
    }

    /// The llama2 folder with `"legacy": false` against LlamaTokenizer(legacy=False).
    @Test func nonLegacyLlamaEqualsHuggingFace() throws {
        let fixture = try DecoderTokenizerFixture.shared.get()
        let source = try decoderFixtureFolder().appendingPathComponent("llama2")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-llama2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: source.appendingPathComponent("tokenizer.model"), to: folder.appendingPathComponent("tokenizer.model"))
        let config = try String(contentsOf: source.appendingPathComponent("tokenizer_config.json"), encoding: .utf8)
        #expect(config.contains(#""legacy": true"#))
        let configFile = folder.appendingPathComponent("tokenizer_config.json")
        try config.replacingOccurrences(of: #""legacy": true"#, with: #""legacy": false"#).write(to: configFile, atomically: true, encoding: .utf8)
        let tokenizer = try TokenizerLoader.load(folder: folder.path)
        let mismatch = try firstMismatch(tokenizer, fixture.llama2_nonlegacy, texts: fixture.texts)
        #expect(mismatch == nil, "llama2 legacy=false: \(mismatch ?? "")")
        #expect(fixture.llama2_nonlegacy.ids != fixture.llama2.ids)  // the fixture tells the two apart
        // GemmaTokenizer has no legacy mode: the flag changes nothing there.
        let gemma = try decoderFixtureFolder().appendingPathComponent("gemma")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.model"))
        try FileManager.default.copyItem(at: gemma.appendingPathComponent("tokenizer.model"), to: folder.appendingPathComponent("tokenizer.model"))
        let gemmaConfig = try String(contentsOf: gemma.appendingPathComponent("tokenizer_config.json"), encoding: .utf8)
        try gemmaConfig.replacingOccurrences(of: #""add_bos_token": true,"#, with: #""add_bos_token": true, "legacy": false,"#)
            .write(to: configFile, atomically: true, encoding: .utf8)
        #expect(try firstMismatch(try TokenizerLoader.load(folder: folder.path), fixture.gemma, texts: fixture.texts) == nil)
        try #"{"bos_token": "<nope>"}"#.write(to: configFile, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.missingToken(file: configFile.path, token: "<nope> (bos_token)")) {
            try TokenizerLoader.load(folder: folder.path)
        }
    }
}
