import Foundation

/// SentencePiece through Debian's libsentencepiece, in one of two framings:
/// - DeBERTa-v3's `spm.model` (``init(modelFile:lowercase:)``), as transformers'
///   DebertaV2Tokenizer frames it: `[CLS]`=1, `[SEP]`=2, `[PAD]`=0, `[UNK]`=3, and the pieces of
///   the text in between;
/// - a decoder LLM's `tokenizer.model` (``init(decoderModelFile:configFile:)``): Llama-2's BPE
///   with byte fallback as transformers' slow LlamaTokenizer (legacy=True, the 4.40.2 default,
///   or legacy=False) and Gemma's as GemmaTokenizer encode it, with bos / eos / pad in ``decoderSpecialTokens``.
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

    /// bos / eos / pad of a decoder's model (nil for DeBERTa's).
    public let decoderSpecialTokens: DecoderSpecialTokens?
    /// LlamaTokenizer's `legacy: false` encoding, nil otherwise.
    let nonLegacy: NonLegacy?

    /// What LlamaTokenizer (legacy=False) needs beyond its SentencePiece model, which is loaded
    /// with `normalizer_spec.add_dummy_prefix` false.
    struct NonLegacy {
        /// `unk_token`, put before a stretch that starts with a space and then dropped.
        var unknownToken: String
        /// `unk_token_length`: the number of pieces of `unknownToken` alone.
        var unknownLength: Int
        /// The id of the piece "▁", nil when the model lacks it.
        var spaceID: Int?
        /// `all_special_tokens` (the special added tokens).
        var specialIDs: Set<Int>
        /// tokenizer_config.json's `add_prefix_space` (default true): "▁" put before the text.
        var addPrefixSpace: Bool
    }

    /// DeBERTa-v3's `spm.model`; `lowercase` is tokenizer_config.json's `do_lower_case`.
    public init(modelFile: String, lowercase: Bool = false) throws {
        (library, processor, pieceCount) = try Self.open(modelFile)
        self.lowercase = lowercase
        file = modelFile
        decoderSpecialTokens = nil
        nonLegacy = nil
        let library = library, handle = processor
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

    /// A decoder LLM's `tokenizer.model` (Llama-2, Gemma: BPE with byte fallback) encoded as
    /// transformers 4.40.2's slow LlamaTokenizer (legacy=True) and GemmaTokenizer encode it
    /// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/tokenization_llama.py,
    /// .../models/gemma/tokenization_gemma.py, and `PreTrainedTokenizer.tokenize` in
    /// .../tokenization_utils.py): the added tokens (tokenizer_config.json's
    /// `added_tokens_decoder`, else the model's unknown / bos / eos / pad pieces) are split out
    /// of the text, and each stretch between them is encoded by SentencePiece alone, its dummy
    /// prefix and all. Nothing is lower-cased.
    ///
    /// bos / eos / pad come from tokenizer_config.json's `bos_token` / `eos_token` / `pad_token`
    /// (else the model's pieces), `add_bos_token` defaults to true and `add_eos_token` to false
    /// as in both classes.
    ///
    /// With tokenizer_config.json's `"legacy": false` (LlamaTokenizer's newer behaviour) the
    /// model is loaded without its dummy prefix, "▁" is put before the whole text instead
    /// (`add_prefix_space`), and a stretch that starts with a space is encoded after `unk_token`,
    /// whose pieces are then dropped, as `LlamaTokenizer.tokenize` / `_tokenize` do: no "▁" is
    /// added after a special token.
    public init(decoderModelFile modelFile: String, configFile: String? = nil) throws {
        let config = try configFile.map { try DecoderTokenizerConfig(file: $0) }
        // GemmaTokenizer has no legacy mode.
        let isLegacy = config?.tokenizerClass?.hasPrefix("Gemma") == true || (config?.legacy ?? true)
        (library, processor, pieceCount) = try Self.open(modelFile, dummyPrefix: isLegacy)
        lowercase = false
        file = modelFile
        let library = library, handle = processor
        var unknown: Int32 = 0, bos: Int32 = 0, eos: Int32 = 0, pad: Int32 = 0
        _ = library.specialIDs(handle, &unknown, &bos, &eos, &pad)
        func piece(_ text: String) -> Int? {
            var id: Int32 = -1
            guard library.pieceToID(handle, text, &id) == 0, id >= 0, Int(id) != Int(unknown) || text == config?.unknownToken else { return nil }
            return Int(id)
        }
        func modelPiece(_ id: Int32) -> (String, Int)? {
            guard id >= 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: 256)
            guard library.idToPiece(handle, id, &buffer, buffer.count) == 0 else { return nil }
            return (String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), Int(id))
        }
        var added: [String: Int] = [:]
        if let config, !config.addedTokens.isEmpty {
            for token in config.addedTokens { added[token.content] = token.id }
        } else {
            for (token, id) in [unknown, bos, eos, pad].compactMap(modelPiece) { added[token] = id }
        }
        addedTokens = added
        /// The id of a token the config names, else of the model's piece (for pad only without a
        /// config: Llama-2's config says `"pad_token": null`).
        func id(_ token: String?, field: String, model: Int32, fallback: Bool) throws -> Int? {
            guard let token else { return fallback && model >= 0 ? Int(model) : nil }
            guard let id = added[token] ?? piece(token) else {
                throw TokenizerError.missingToken(file: config?.file ?? modelFile, token: "\(token) (\(field))")
            }
            return id
        }
        let bosID: Int?, eosID: Int?, padID: Int?
        do {
            bosID = try id(config?.bosToken, field: "bos_token", model: bos, fallback: true)
            eosID = try id(config?.eosToken, field: "eos_token", model: eos, fallback: true)
            padID = try id(config?.padToken, field: "pad_token", model: pad, fallback: config == nil)
        } catch {
            _ = library.free(handle)
            throw error
        }
        let unknownID = Int(unknown)
        if isLegacy {
            nonLegacy = nil
        } else {
            let unknownToken = config?.unknownToken ?? modelPiece(unknown)?.0 ?? "<unk>"
            var settings = NonLegacy(unknownToken: unknownToken, unknownLength: 0, spaceID: piece("▁"),
                                     specialIDs: Set(config?.addedTokens.filter(\.special).map(\.id) ?? []),
                                     addPrefixSpace: config?.addPrefixSpace ?? true)
            for id in [bosID, eosID, padID, unknownID].compactMap({ $0 }) { settings.specialIDs.insert(id) }
            var text = unknownToken
            var count = 0
            do {
                count = try text.withUTF8 { bytes in try Self.encode(library: library, processor: handle, bytes).count }
            } catch {
                _ = library.free(handle)
                throw error
            }
            settings.unknownLength = count
            nonLegacy = settings
        }
        decoderSpecialTokens = DecoderSpecialTokens(bos: bosID, eos: eosID, pad: padID,
                                                    addBOS: bosID != nil && (config?.addBOSToken ?? true),
                                                    addEOS: eosID != nil && (config?.addEOSToken ?? false))
        let fallback = eosID ?? padID ?? unknownID
        specialTokens = SpecialTokenIDs(classification: bosID ?? fallback, separator: fallback, padding: padID ?? fallback,
                                        unknown: unknownID)
        // The prefix cut of leadingIDs(of:limit:) is proven for DeBERTa's unigram model only.
        piecesStopAtSpaces = false
    }

    /// Loads `modelFile`; without `dummyPrefix`, as transformers' `get_spm_processor` does for
    /// legacy=False: the serialized model followed by a NormalizerSpec holding only
    /// add_dummy_prefix = false, which protobuf merges into the model's (field 3 of ModelProto,
    /// field 3 of NormalizerSpec, as `model.normalizer_spec.MergeFrom(...)`).
    private static func open(_ modelFile: String, dummyPrefix: Bool = true) throws -> (SentencePieceLibrary, OpaquePointer, Int) {
        let library: SentencePieceLibrary
        switch SentencePieceLibrary.shared {
        case .success(let loaded): library = loaded
        case .failure(let error): throw TokenizerError.sentencePiece(error.description)
        }
        var handle: OpaquePointer?
        var status: Int32
        if dummyPrefix {
            status = library.loadFile(modelFile, &handle)
        } else {
            guard let data = FileManager.default.contents(atPath: modelFile) else {
                throw TokenizerError.cannotRead(file: modelFile, reason: FileManager.default.fileExists(atPath: modelFile) ? "not readable" : "no such file")
            }
            let bytes = [UInt8](data) + [0x1A, 0x02, 0x18, 0x00]
            status = bytes.withUnsafeBytes { library.loadBytes($0.baseAddress, $0.count, &handle) }
        }
        guard status == 0, let handle else {
            throw TokenizerError.invalidFile(file: modelFile, field: "(file)", reason: "SentencePiece cannot load it: \(library.lastErrorMessage())")
        }
        var size: Int32 = 0
        _ = library.vocabularySize(handle, &size)
        return (library, handle, Int(size))
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
        if let nonLegacy { return try nonLegacyIDs(of: text, nonLegacy) }
        var text = text
        return try text.withUTF8 { try ids(of: $0) }
    }

    /// LlamaTokenizer.tokenize with legacy=False (see ``init(decoderModelFile:configFile:)``).
    private func nonLegacyIDs(of text: String, _ settings: NonLegacy) throws -> [Int] {
        guard !text.isEmpty else { return [] }
        var text = text.replacingOccurrences(of: "\u{2581}", with: " ")
        if settings.addPrefixSpace { text = "\u{2581}" + text }
        var ids: [Int] = []
        var steps = 0
        try text.withUTF8 { bytes in
            for part in splitOnAddedTokens(bytes, tokens: Array(addedTokens), steps: &steps) {
                if let id = part.id {
                    ids.append(id)
                    continue
                }
                let chunk = UnsafeBufferPointer(rebasing: bytes[part.range])
                guard chunk.starts(with: "\u{2581}".utf8) || chunk.first == 0x20 else {
                    ids += try pieces(chunk)
                    continue
                }
                var prefixed = settings.unknownToken + String(decoding: chunk, as: UTF8.self)
                let encoded = try prefixed.withUTF8 { try pieces($0) }
                ids += encoded.count >= settings.unknownLength ? Array(encoded.dropFirst(settings.unknownLength)) : encoded
            }
            TokenizerWork.current?.add(steps: steps + bytes.count, bytes: bytes.count)
        }
        if ids.count > 1, let space = settings.spaceID, ids[0] == space, settings.specialIDs.contains(ids[1]) { ids.removeFirst() }
        return ids
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
        try Self.encode(library: library, processor: processor, text)
    }

    private static func encode(library: SentencePieceLibrary, processor: OpaquePointer, _ text: UnsafeBufferPointer<UInt8>) throws -> [Int] {
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
