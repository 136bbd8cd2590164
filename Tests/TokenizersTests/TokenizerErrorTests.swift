import Foundation
import Testing
@testable import Tokenizers

private func scratch(_ name: String, _ contents: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-tokenizer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// Expects a TokenizerError whose message names `file` and, when given, `field`.
private func expectError(file: String, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("no error", sourceLocation: sourceLocation)
    } catch let error as TokenizerError {
        #expect(error.description.contains(file), "\(error)", sourceLocation: sourceLocation)
        if let field { #expect(error.description.contains(field), "\(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct TokenizerErrorTests {
    @Test func badVocabularies() throws {
        let empty = try scratch("vocab.txt", "")
        expectError(file: empty) { _ = try WordPieceTokenizer(vocabularyFile: empty) }
        let noUnknown = try scratch("vocab.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n")
        expectError(file: noUnknown) { _ = try WordPieceTokenizer(vocabularyFile: noUnknown) }
        expectError(file: "/nonexistent/vocab.txt") { _ = try WordPieceTokenizer(vocabularyFile: "/nonexistent/vocab.txt") }
    }

    @Test func badTokenizerJSON() throws {
        let notJSON = try scratch("tokenizer.json", "{\"model\": ")
        expectError(file: notJSON) { _ = try WordPieceTokenizer(tokenizerJSONFile: notJSON) }
        let bpe = try scratch("tokenizer.json", #"{"model": {"type": "BPE", "vocab": {}}}"#)
        expectError(file: bpe, field: "model.type") { _ = try WordPieceTokenizer(tokenizerJSONFile: bpe) }
        let noVocabulary = try scratch("tokenizer.json", #"{"model": {"type": "WordPiece"}}"#)
        expectError(file: noVocabulary, field: "model.vocab") { _ = try WordPieceTokenizer(tokenizerJSONFile: noVocabulary) }
        let badID = try scratch("tokenizer.json", #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": "zero"}}}"#)
        expectError(file: badID, field: "model.vocab.[UNK]") { _ = try WordPieceTokenizer(tokenizerJSONFile: badID) }
        let normalizer = try scratch("tokenizer.json", #"{"normalizer": {"type": "NFKC"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}"#)
        expectError(file: normalizer, field: "normalizer.type") { _ = try WordPieceTokenizer(tokenizerJSONFile: normalizer) }
    }

    @Test func badSentencePieceModel() throws {
        let corrupt = try scratch("spm.model", "this is not a protobuf")
        expectError(file: corrupt) { _ = try SentencePieceTokenizer(modelFile: corrupt) }
        expectError(file: "/nonexistent/spm.model") { _ = try SentencePieceTokenizer(modelFile: "/nonexistent/spm.model") }
    }

    @Test func folderWithoutTokenizerFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        expectError(file: folder) { _ = try TokenizerLoader.load(folder: folder) }
    }

    @Test func truncationThatCannotFitIsRefused() throws {
        let tokenizer = try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"])
        #expect(throws: TokenizerError.self) { try tokenizer.encode("a", maxLength: 1) }
        #expect(throws: TokenizerError.self) { try tokenizer.encode("a b a b", pair: "a", maxLength: 4, strategy: .onlySecond) }
        let padded = tokenizer.pad([try tokenizer.encode("a"), try tokenizer.encode("a b a")])
        #expect(padded[0].ids == [2, 5, 3, 0, 0] && padded[0].attentionMask == [1, 1, 1, 0, 0])
        #expect(padded[1].ids == [2, 5, 6, 5, 3])
    }
}

@Suite struct TokenizerFolderTests {
    /// A DeBERTa-v3-style folder: spm.model with tokenizer_config.json.
    @Test func sentencePieceFolderHonoursTokenizerConfig() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-spm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: try fixtureURL("spm", "model"), to: folder.appendingPathComponent("spm.model"))
        let config = folder.appendingPathComponent("tokenizer_config.json")
        try #"{"do_lower_case": false, "vocab_type": "spm"}"#.write(to: config, atomically: true, encoding: .utf8)
        let cased = try TokenizerLoader.load(folder: folder.path)
        try #"{"do_lower_case": true, "vocab_type": "spm"}"#.write(to: config, atomically: true, encoding: .utf8)
        let lowered = try TokenizerLoader.load(folder: folder.path)
        #expect(try lowered.tokenize("HELLO World") == cased.tokenize("hello world"))
        #expect(try cased.tokenize("HELLO World") != cased.tokenize("hello world"))
        try #"{"vocab_type": "bpe"}"#.write(to: config, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.self) { try TokenizerLoader.load(folder: folder.path) }
    }
}
