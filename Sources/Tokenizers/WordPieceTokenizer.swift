import Foundation

/// WordPiece for the BERT family: `BertNormalizer`, `BertPreTokenizer`, then greedy
/// longest-match-first with a "##" prefix inside words and the unknown token for a word that
/// cannot be built (https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/models/wordpiece/mod.rs).
public struct WordPieceTokenizer: Tokenizer {
    public let vocabulary: [String: Int]
    public var normalizer: BertNormalizer
    public let unknownToken: String
    public let continuingSubwordPrefix: String
    public let maxInputCharactersPerWord: Int
    public let specialTokens: SpecialTokenIDs
    /// Tokens matched whole in the raw text before normalisation (the special tokens and
    /// those added with ``addingSpecialTokens(_:)``), by id.
    public private(set) var addedTokens: [String: Int]
    private let unknownID: Int

    /// - Parameters:
    ///   - tokens: the vocabulary, id = position.
    ///   - file: the file it came from, for error messages.
    public init(tokens: [String], normalizer: BertNormalizer = BertNormalizer(), unknownToken: String = "[UNK]",
                classificationToken: String = "[CLS]", separatorToken: String = "[SEP]", paddingToken: String = "[PAD]",
                extraSpecialTokens: [String] = ["[MASK]"], continuingSubwordPrefix: String = "##",
                maxInputCharactersPerWord: Int = 100, file: String = "vocabulary") throws {
        var vocabulary: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where vocabulary[token] == nil { vocabulary[token] = id }
        try self.init(vocabulary: vocabulary, normalizer: normalizer, unknownToken: unknownToken,
                      classificationToken: classificationToken, separatorToken: separatorToken, paddingToken: paddingToken,
                      extraSpecialTokens: extraSpecialTokens, continuingSubwordPrefix: continuingSubwordPrefix,
                      maxInputCharactersPerWord: maxInputCharactersPerWord, file: file)
    }

    init(vocabulary: [String: Int], normalizer: BertNormalizer, unknownToken: String, classificationToken: String,
         separatorToken: String, paddingToken: String, extraSpecialTokens: [String], continuingSubwordPrefix: String,
         maxInputCharactersPerWord: Int, file: String) throws {
        func require(_ token: String) throws -> Int {
            guard let id = vocabulary[token] else { throw TokenizerError.missingToken(file: file, token: token) }
            return id
        }
        self.vocabulary = vocabulary
        self.normalizer = normalizer
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        unknownID = try require(unknownToken)
        specialTokens = SpecialTokenIDs(classification: try require(classificationToken), separator: try require(separatorToken),
                                        padding: try require(paddingToken), unknown: unknownID)
        var added: [String: Int] = [:]
        for token in [unknownToken, classificationToken, separatorToken, paddingToken] + extraSpecialTokens {
            if let id = vocabulary[token] { added[token] = id }
        }
        addedTokens = added
    }

    /// Reads a BERT `vocab.txt` (one token per line, id = line number).
    public init(vocabularyFile: String, lowercase: Bool = true, stripAccents: Bool? = nil, handleChineseChars: Bool = true) throws {
        let text = try readText(vocabularyFile)
        var lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else {
            throw TokenizerError.invalidFile(file: vocabularyFile, field: "(file)", reason: "the vocabulary is empty")
        }
        // Hugging Face trims the end of each line.
        let tokens = lines.map { String($0.reversed().drop(while: { $0.isWhitespace }).reversed()) }
        try self.init(tokens: tokens, normalizer: BertNormalizer(handleChineseChars: handleChineseChars, stripAccents: stripAccents, lowercase: lowercase),
                      file: vocabularyFile)
    }

    /// The number of ids: the largest id plus one.
    public var vocabularySize: Int {
        Swift.max(vocabulary.values.max() ?? -1, addedTokens.values.max() ?? -1) + 1
    }

    public func id(of token: String) -> Int? {
        addedTokens[token] ?? vocabulary[token]
    }

    /// A copy with `tokens` (e.g. "[PROMPT]", "[RESPONSE_A]") as special tokens: ids after the
    /// vocabulary for new ones, kept whole in text, never lower-cased or split.
    public func addingSpecialTokens(_ tokens: [String]) -> WordPieceTokenizer {
        var copy = self
        for token in tokens where copy.id(of: token) == nil {
            copy.addedTokens[token] = copy.vocabularySize
        }
        for token in tokens { if let id = copy.id(of: token) { copy.addedTokens[token] = id } }
        return copy
    }

    public func tokenize(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        for part in splitOnAddedTokens(text, tokens: Array(addedTokens.keys)) {
            if part.isToken, let id = addedTokens[String(part.text)] {
                ids.append(id)
                continue
            }
            let normalized = normalizer.normalize(String(part.text))
            for word in BertNormalizer.preTokenize(normalized) { ids += wordPieces(word) }
        }
        return ids
    }

    /// The tokens of `text` (for inspection).
    public func tokens(_ text: String) throws -> [String] {
        let names = Dictionary(vocabulary.map { ($0.value, $0.key) } + addedTokens.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        return try tokenize(text).map { names[$0] ?? unknownToken }
    }

    func wordPieces(_ word: Substring) -> [Int] {
        let scalars = Array(word.unicodeScalars)
        guard scalars.count <= maxInputCharactersPerWord else { return [unknownID] }
        var pieces: [Int] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int?
            while start < end {
                var piece = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { piece = continuingSubwordPrefix + piece }
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else { return [unknownID] }
            pieces.append(found)
            start = end
        }
        return pieces
    }
}

func readText(_ file: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw TokenizerError.cannotRead(file: file, reason: FileManager.default.fileExists(atPath: file) ? "not readable" : "no such file")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw TokenizerError.invalidFile(file: file, field: "(file)", reason: "not UTF-8 text")
    }
    return text
}
