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
    /// The most scalars a vocabulary entry can match: the longest entry's canonical
    /// decomposition (vocabulary keys are Swift strings, equal under canonical equivalence, and
    /// a string has at most as many scalars as its NFD). Longer candidate pieces are not looked up.
    private let longestPiece: Int

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
        longestPiece = vocabulary.keys.reduce(1) { longest, token in
            let scalars = token.utf8.allSatisfy { $0 < 0x80 }
                ? token.utf8.count : token.decomposedStringWithCanonicalMapping.unicodeScalars.count
            return Swift.max(longest, scalars)
        }
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
        var text = text
        return text.withUTF8 { ids(of: $0) }
    }

    /// The first `limit` ids of `text` (all of them when it has fewer), tokenising only a
    /// prefix of the text where one suffices. The ids equal `tokenize(text).prefix(limit)`: the
    /// prefix is cut before a scalar the pre-tokenizer splits at whatever its neighbours (see
    /// ``BertNormalizer/splitsBefore(_:)``) and not inside an occurrence of an added token, so
    /// the normaliser maps the prefix to a prefix of the normalised text ending at a word break
    /// (each step maps scalar by scalar, and NFD's reordering stops at the starter there), and
    /// the words, hence the word pieces, of the prefix are the first words of the text.
    public func leadingIDs(of text: String, limit: Int) throws -> [Int] {
        var text = text
        return text.withUTF8 { bytes in
            cappedIDs(of: bytes, limit: limit, end: .leading, addedTokens: addedTokenBytes,
                      splitsBefore: { bytes, offset in normalizer.splitsBefore(decodeScalar(bytes, at: offset).0) },
                      tokenize: { ids(of: $0) })
        }
    }

    /// The last `limit` ids of `text` (all of them when it has fewer), tokenising only a suffix
    /// of the text where one suffices; equal to `tokenize(text).suffix(limit)` for the reasons
    /// given at ``leadingIDs(of:limit:)``: the ids of the text are those of the part before the
    /// cut followed by those of the part after it.
    public func trailingIDs(of text: String, limit: Int) throws -> [Int] {
        var text = text
        return text.withUTF8 { bytes in
            cappedIDs(of: bytes, limit: limit, end: .trailing, addedTokens: addedTokenBytes,
                      splitsBefore: { bytes, offset in normalizer.splitsBefore(decodeScalar(bytes, at: offset).0) },
                      tokenize: { ids(of: $0) })
        }
    }

    private var addedTokenBytes: [[UInt8]] { addedTokens.keys.map { Array($0.utf8) } }

    /// The ids of UTF-8 text: added tokens kept whole, then normaliser, pre-tokenizer and
    /// word pieces, streamed word by word.
    func ids(of bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
        var steps = 0
        var ids: [Int] = []
        ids.reserveCapacity(bytes.count / 4 + 1)
        var offsets: [Int] = []
        var key: [UInt8] = []
        let prefix = Array(continuingSubwordPrefix.utf8)
        for part in splitOnAddedTokens(bytes, tokens: Array(addedTokens), steps: &steps) {
            if let id = part.id {
                ids.append(id)
                continue
            }
            let normalized = normalizer.normalizedUTF8(UnsafeBufferPointer(rebasing: bytes[part.range]), steps: &steps)
            var pieceSteps = 0
            normalized.withUnsafeBufferPointer { text in
                BertNormalizer.forEachWord(in: text, steps: &steps) { word in
                    appendWordPieces(text, word, to: &ids, offsets: &offsets, key: &key, prefix: prefix, steps: &pieceSteps)
                }
            }
            steps += pieceSteps
        }
        TokenizerWork.current?.add(steps: steps, bytes: bytes.count)
        return ids
    }

    /// The tokens of `text` (for inspection).
    public func tokens(_ text: String) throws -> [String] {
        let names = Dictionary(vocabulary.map { ($0.value, $0.key) } + addedTokens.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        return try tokenize(text).map { names[$0] ?? unknownToken }
    }

    /// Greedy longest-match-first pieces of the word `text[word]`, or the unknown id alone when
    /// the word is longer than `maxInputCharactersPerWord` scalars or cannot be built. At each
    /// start at most `longestPiece` candidates are looked up, so a word costs at most
    /// `longestPiece` lookups per scalar. `offsets` and `key` are scratch buffers.
    private func appendWordPieces(_ text: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, to ids: inout [Int],
                                  offsets: inout [Int], key: inout [UInt8], prefix: [UInt8], steps: inout Int) {
        offsets.removeAll(keepingCapacity: true)
        var offset = word.lowerBound
        while offset < word.upperBound {
            guard offsets.count < maxInputCharactersPerWord else {
                ids.append(unknownID)
                return
            }
            offsets.append(offset)
            offset += text[offset] < 0x80 ? 1 : decodeScalar(text, at: offset).1
            steps += 1
        }
        offsets.append(word.upperBound)
        let count = offsets.count - 1
        let first = ids.count
        var start = 0
        while start < count {
            var end = Swift.min(count, start + longestPiece)
            var found: Int?
            while start < end {
                steps += 1
                let piece = UnsafeBufferPointer(rebasing: text[offsets[start]..<offsets[end]])
                let candidate: String
                if start > 0 {
                    key.removeAll(keepingCapacity: true)
                    key.append(contentsOf: prefix)
                    key.append(contentsOf: piece)
                    candidate = String(decoding: key, as: UTF8.self)
                } else {
                    candidate = String(decoding: piece, as: UTF8.self)
                }
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                ids.removeSubrange(first...)
                ids.append(unknownID)
                return
            }
            ids.append(found)
            start = end
        }
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
