/// SentencePiece (DeBERTa-v3's `spm.model`) through Debian's libsentencepiece, framed as
/// transformers' DebertaV2Tokenizer frames it: `[CLS]`=1, `[SEP]`=2, `[PAD]`=0, `[UNK]`=3, and
/// the pieces of the text in between.
public final class SentencePieceTokenizer: Tokenizer, @unchecked Sendable {
    // @unchecked: the processor is only read after loading; SentencePiece's Encode is const.
    private let library: SentencePieceLibrary
    private let processor: OpaquePointer
    public let file: String
    public let specialTokens: SpecialTokenIDs
    public let pieceCount: Int
    /// Tokens kept whole in text (the special tokens and added ones), by id.
    public private(set) var addedTokens: [String: Int]
    /// Lower-case text before encoding (tokenizer_config.json's `do_lower_case`; false for DeBERTa-v3).
    public let lowercase: Bool

    public init(modelFile: String, lowercase: Bool = false) throws {
        self.lowercase = lowercase
        let library: SentencePieceLibrary
        switch SentencePieceLibrary.shared {
        case .success(let loaded): library = loaded
        case .failure(let error): throw TokenizerError.sentencePiece(error.description)
        }
        var handle: OpaquePointer?
        guard library.loadFile(modelFile, &handle) == 0, let handle else {
            throw TokenizerError.invalidFile(file: modelFile, field: "(file)", reason: "SentencePiece cannot load it: \(library.lastErrorMessage())")
        }
        self.library = library
        processor = handle
        file = modelFile
        var size: Int32 = 0
        _ = library.vocabularySize(handle, &size)
        pieceCount = Int(size)
        var unknown: Int32 = 0, bos: Int32 = 0, eos: Int32 = 0, pad: Int32 = 0
        _ = library.specialIDs(handle, &unknown, &bos, &eos, &pad)
        func piece(_ text: String) -> Int? {
            var id: Int32 = -1
            guard library.pieceToID(handle, text, &id) == 0, id >= 0, Int(id) != Int(unknown) || text == "[UNK]" else { return nil }
            return Int(id)
        }
        // DeBERTa-v3's spm.model holds [PAD] [CLS] [SEP] [UNK] as ids 0-3.
        specialTokens = SpecialTokenIDs(classification: piece("[CLS]") ?? Int(bos), separator: piece("[SEP]") ?? Int(eos),
                                        padding: piece("[PAD]") ?? Int(Swift.max(pad, 0)), unknown: Int(unknown))
        var added: [String: Int] = [:]
        for token in ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"] { if let id = piece(token) { added[token] = id } }
        // DebertaV2Tokenizer adds its mask token after the pieces when the model lacks it
        // (DeBERTa-v3's [MASK] is id 128000 of a 128,000-piece model).
        if added["[MASK]"] == nil { added["[MASK]"] = pieceCount }
        addedTokens = added
    }

    deinit {
        _ = library.free(processor)
    }

    public var vocabularySize: Int { Swift.max(pieceCount, (addedTokens.values.max() ?? -1) + 1) }

    public func id(of token: String) -> Int? {
        if let id = addedTokens[token] { return id }
        var id: Int32 = -1
        guard library.pieceToID(processor, token, &id) == 0, id >= 0, Int(id) != specialTokens.unknown else { return nil }
        return Int(id)
    }

    /// Adds special tokens with ids after the vocabulary (DeBERTa's `[MASK]` comes this way too).
    public func addSpecialTokens(_ tokens: [String]) {
        for token in tokens where id(of: token) == nil { addedTokens[token] = vocabularySize }
    }

    public func tokenize(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        for part in splitOnAddedTokens(text, tokens: Array(addedTokens.keys)) {
            if part.isToken, let id = addedTokens[String(part.text)] {
                ids.append(id)
            } else {
                ids += try pieces(lowercase ? part.text.lowercased() : String(part.text))
            }
        }
        return ids
    }

    func pieces(_ text: String) throws -> [Int] {
        let length = text.utf8.count
        guard length > 0 else { return [] }
        var array: UnsafeMutablePointer<Int32>?
        var count = 0
        let status = text.withCString { library.encodeIDs(processor, $0, length, &array, &count) }
        guard status == 0 else { throw TokenizerError.sentencePiece(library.lastErrorMessage()) }
        defer { _ = library.freeIDs(array) }
        guard let array else { return [] }
        return (0..<count).map { Int(array[$0]) }
    }
}
