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
    /// Whether every piece is a whitespace-free string, optionally after one leading "▁": then
    /// no piece spans a space of the text, and ``leadingIDs(of:limit:)`` may cut there.
    let piecesStopAtSpaces: Bool

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
        piecesStopAtSpaces = Self.piecesStopAtSpaces(library: library, processor: handle, count: pieceCount)
    }

    private static func piecesStopAtSpaces(library: SentencePieceLibrary, processor: OpaquePointer, count: Int) -> Bool {
        let space: [UInt8] = [0xE2, 0x96, 0x81]  // U+2581, SentencePiece's escaped space
        var buffer = [CChar](repeating: 0, count: 1024)
        for id in 0..<count {
            guard library.idToPiece(processor, Int32(id), &buffer, buffer.count) == 0 else { return false }
            let piece = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            var offset = piece.starts(with: space) ? space.count : 0
            while offset < piece.count {
                if piece[offset] == 0x20 || piece[offset...].starts(with: space) { return false }
                offset += 1
            }
        }
        return true
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
        var text = text
        return try text.withUTF8 { try ids(of: $0) }
    }

    /// The first `limit` ids of `text` (all of them when it has fewer), encoding only a prefix
    /// of the text where one suffices; equal to `tokenize(text).prefix(limit)`.
    ///
    /// The prefix ends before a space (U+0020) that follows an ASCII letter or digit, outside
    /// added tokens. SentencePiece (0.1.97, src/normalizer.cc, src/unigram_model.cc) first
    /// normalises: a longest-match character map (NFKC-derived for DeBERTa: ASCII letters,
    /// digits and the space map to themselves, and no rule spans a letter or digit followed by
    /// a space), with runs of spaces collapsed to one "▁" and trailing ones dropped, so the
    /// prefix, which ends in a letter or digit, normalises to a prefix of the text's normal form
    /// followed there by "▁" (or by nothing). The unigram Viterbi pass then fills the best path
    /// ending at each byte from left to right; the values up to the cut are computed by the same
    /// operations in both runs, and when no piece holds a "▁" after its first character (checked
    /// when the model is loaded: ``piecesStopAtSpaces``) no piece spans the cut, so the best path
    /// of the text passes through it and begins with the best path of the prefix. Merging runs
    /// of unknown pieces only joins an unknown piece at the end of the prefix with the ones that
    /// follow, which leaves the ids of the prefix unchanged.
    ///
    /// The suffix is not cut the same way (``trailingIDs(of:limit:)`` tokenises the whole
    /// text): the best path after a cut starts from the score of the path before it, and
    /// float32 sums from a different start may break near-ties differently.
    public func leadingIDs(of text: String, limit: Int) throws -> [Int] {
        guard piecesStopAtSpaces else { return Array(try tokenize(text).prefix(Swift.max(limit, 0))) }
        var text = text
        return try text.withUTF8 { bytes in
            try cappedIDs(of: bytes, limit: limit, end: .leading, addedTokens: addedTokens.keys.map { Array($0.utf8) },
                          splitsBefore: { bytes, offset in
                              bytes[offset] == 0x20 && Self.isASCIILetterOrDigit(bytes[offset - 1])
                          },
                          tokenize: { try ids(of: $0) })
        }
    }

    private static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    /// The ids of UTF-8 text: added tokens kept whole, the rest encoded by SentencePiece.
    func ids(of bytes: UnsafeBufferPointer<UInt8>) throws -> [Int] {
        var steps = 0
        var ids: [Int] = []
        for part in splitOnAddedTokens(bytes, tokens: Array(addedTokens), steps: &steps) {
            if let id = part.id {
                ids.append(id)
                continue
            }
            let plain = UnsafeBufferPointer(rebasing: bytes[part.range])
            steps += plain.count
            if lowercase {
                var lowered = String(decoding: plain, as: UTF8.self).lowercased()
                ids += try lowered.withUTF8 { try pieces($0) }
            } else {
                ids += try pieces(plain)
            }
        }
        TokenizerWork.current?.add(steps: steps, bytes: bytes.count)
        return ids
    }

    func pieces(_ text: UnsafeBufferPointer<UInt8>) throws -> [Int] {
        guard let base = text.baseAddress, text.count > 0 else { return [] }
        var array: UnsafeMutablePointer<Int32>?
        var count = 0
        let status = base.withMemoryRebound(to: CChar.self, capacity: text.count) {
            library.encodeIDs(processor, $0, text.count, &array, &count)
        }
        guard status == 0 else { throw TokenizerError.sentencePiece(library.lastErrorMessage()) }
        defer { _ = library.freeIDs(array) }
        guard let array else { return [] }
        return (0..<count).map { Int(array[$0]) }
    }
}
