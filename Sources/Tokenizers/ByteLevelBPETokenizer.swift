import Foundation

/// Byte-level BPE from a Hugging Face `tokenizer.json`, as Llama-3 and Qwen2 (and GPT-2) ship it:
/// added tokens split out of the text, an NFC normaliser or none, the pre-tokeniser
/// `Sequence[Split(Regex, Isolated), ByteLevel(use_regex: false)]` or `ByteLevel(use_regex: true)`,
/// then BPE merges by rank over the bytes of each piece.
///
/// Mirrors Hugging Face tokenizers v0.19.1 (what `PreTrainedTokenizerFast` runs in transformers 4.40.2):
/// - the pipeline: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/mod.rs
/// - BPE: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/models/bpe/model.rs
///   and word.rs (`merge_all`: the lowest-ranked pair first, the leftmost of equal ranks)
/// - the stages before the model: ByteLevelPreTokenizer.swift.
///
/// Anything else in the file (another model, normaliser or pre-tokeniser, BPE dropout, a
/// continuing-subword prefix, byte fallback) is a ``TokenizerError/unsupported`` error naming the field.
public final class ByteLevelBPETokenizer: Tokenizer, @unchecked Sendable {
    // @unchecked: everything is immutable after loading except `cache`, guarded by `cacheLock`.
    public let file: String
    /// Token -> id of `model.vocab`.
    public let vocabulary: [String: Int]
    /// `added_tokens` (special and not), by id.
    public let addedTokens: [AddedToken]
    public let specialTokens: SpecialTokenIDs
    public let decoderSpecialTokens: DecoderSpecialTokens?
    /// `normalizer` is `{"type": "NFC"}` (Qwen2) rather than null.
    public let normalizesNFC: Bool
    /// `model.ignore_merges` (Llama-3): a piece found whole in the vocabulary is one token.
    public let ignoreMerges: Bool

    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    /// The Split steps of the pre-tokeniser, in order.
    private let splits: [IsolatedSplit]
    /// ByteLevel's own split (GPT-2's pattern) when its `use_regex` is true.
    private let byteLevelSplit: IsolatedSplit?
    private let addPrefixSpace: Bool
    /// Id of each byte's byte-level character, nil when the vocabulary lacks it (the byte is
    /// dropped, as Hugging Face does without an unknown token).
    private let byteIDs: [Int?]
    /// (left id << 32 | right id) -> (rank, merged id).
    private let merges: [UInt64: (rank: Int, id: Int)]
    private let idCount: Int
    private var cache: [[UInt8]: [Int]] = [:]
    private let cacheLock = NSLock()
    /// Pieces cached before the cache is emptied (bounds memory on an endless stream of new words).
    static let cacheCapacity = 200_000

    /// Reads `tokenizer.json` and, when given, `tokenizer_config.json` (bos / eos / pad and
    /// add_bos_token / add_eos_token, see ``DecoderSpecialTokens``).
    public convenience init(tokenizerJSONFile file: String, configFile: String? = nil) throws {
        let config = try configFile.map { try DecoderTokenizerConfig(file: $0) }
        try self.init(root: try readJSONObject(file), file: file, config: config)
    }

    init(root: [String: Any], file: String, config: DecoderTokenizerConfig?) throws {
        self.file = file
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.invalidFile(file: file, field: "model", reason: "missing (expected an object)")
        }
        let modelType = model["type"] as? String ?? "(none)"
        guard modelType == "BPE" else { throw TokenizerError.unsupported(file: file, field: "model.type", value: modelType) }
        if let dropout = model["dropout"] as? Double, dropout > 0 {
            throw TokenizerError.unsupported(file: file, field: "model.dropout", value: "\(dropout)")
        }
        if model["byte_fallback"] as? Bool == true {
            throw TokenizerError.unsupported(file: file, field: "model.byte_fallback", value: "true")
        }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[field] as? String, !value.isEmpty {
                throw TokenizerError.unsupported(file: file, field: "model.\(field)", value: value)
            }
        }
        ignoreMerges = model["ignore_merges"] as? Bool ?? false

        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.invalidFile(file: file, field: "model.vocab", reason: "missing (expected an object of token ids)")
        }
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(vocab.count)
        for (token, value) in vocab {
            guard let id = value as? Int, id >= 0 else {
                throw TokenizerError.invalidFile(file: file, field: "model.vocab.\(token)", reason: "expected a non-negative integer id")
            }
            vocabulary[token] = id
        }
        self.vocabulary = vocabulary
        merges = try Self.readMerges(model["merges"], vocabulary: vocabulary, file: file)
        byteIDs = ByteLevelAlphabet.characters.map { vocabulary[String($0)] }

        var added: [AddedToken] = []
        if let entries = root["added_tokens"] {
            guard let list = entries as? [[String: Any]] else {
                throw TokenizerError.invalidFile(file: file, field: "added_tokens", reason: "expected a list of objects")
            }
            added = try list.enumerated().map { try AddedToken(json: $1, file: file, field: "added_tokens[\($0)]") }
        }
        addedTokens = added
        idCount = Swift.max((vocabulary.values.max() ?? -1) + 1, (added.map(\.id).max() ?? -1) + 1)

        switch root["normalizer"] {
        case nil, is NSNull:
            normalizesNFC = false
        case let object as [String: Any]:
            let type = object["type"] as? String ?? "(none)"
            guard type == "NFC" else { throw TokenizerError.unsupported(file: file, field: "normalizer.type", value: type) }
            normalizesNFC = true
        default:
            throw TokenizerError.invalidFile(file: file, field: "normalizer", reason: "expected an object or null")
        }
        let normalize = normalizesNFC
        rawMatcher = AddedTokenMatcher(added.filter { !$0.normalized }.map { ($0.content, $0) })
        normalizedMatcher = AddedTokenMatcher(added.filter(\.normalized).map {
            (normalize ? Self.nfc($0.content) : $0.content, $0)
        })
        (splits, byteLevelSplit, addPrefixSpace) = try Self.readPreTokenizer(root["pre_tokenizer"], file: file)

        // Special tokens: tokenizer_config.json's names, else the post-processor's template.
        func id(_ token: String, field: String) throws -> Int {
            if let entry = added.first(where: { $0.content == token }) { return entry.id }
            if let id = vocabulary[token] { return id }
            throw TokenizerError.missingToken(file: config?.file ?? file, token: "\(token) (\(field))")
        }
        let template = Self.templateEnds(root["post_processor"])
        let bos = try config?.bosToken.map { try id($0, field: "bos_token") } ?? template.first
        let eos = try config?.eosToken.map { try id($0, field: "eos_token") } ?? template.last
        let pad = try config?.padToken.map { try id($0, field: "pad_token") }
        guard let fallback = eos ?? pad ?? bos else {
            throw TokenizerError.missingToken(file: config?.file ?? file, token: "eos_token (no tokenizer_config.json names one)")
        }
        let decoderTokens = DecoderSpecialTokens(bos: bos, eos: eos, pad: pad,
                                                 addBOS: bos != nil && (config?.addBOSToken ?? (template.first != nil)),
                                                 addEOS: eos != nil && (config?.addEOSToken ?? (template.last != nil)))
        decoderSpecialTokens = decoderTokens
        specialTokens = SpecialTokenIDs(classification: bos ?? fallback, separator: eos ?? fallback,
                                        padding: pad ?? eos ?? fallback, unknown: eos ?? pad ?? fallback)
    }

    /// `model.merges`: "a b" strings (tokenizers 0.19) or ["a", "b"] pairs (0.20 and later).
    private static func readMerges(_ value: Any?, vocabulary: [String: Int], file: String) throws -> [UInt64: (rank: Int, id: Int)] {
        guard let list = value as? [Any] else {
            throw TokenizerError.invalidFile(file: file, field: "model.merges", reason: "missing (expected a list)")
        }
        var merges: [UInt64: (rank: Int, id: Int)] = [:]
        merges.reserveCapacity(list.count)
        for (rank, entry) in list.enumerated() {
            let field = "model.merges[\(rank)]"
            let parts: [String]
            if let text = entry as? String {
                parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            } else if let pair = entry as? [String] {
                parts = pair
            } else {
                throw TokenizerError.invalidFile(file: file, field: field, reason: "expected \"a b\" or [\"a\", \"b\"]")
            }
            guard parts.count == 2 else { throw TokenizerError.invalidFile(file: file, field: field, reason: "expected two tokens") }
            func lookup(_ token: String) throws -> Int {
                guard let id = vocabulary[token] else {
                    throw TokenizerError.invalidFile(file: file, field: field, reason: "\"\(token)\" is not in model.vocab")
                }
                return id
            }
            let left = try lookup(parts[0])
            let right = try lookup(parts[1])
            let merged = try lookup(parts[0] + parts[1])
            let key = UInt64(left) << 32 | UInt64(right)
            if merges[key] == nil { merges[key] = (rank, merged) }
        }
        return merges
    }

    /// The regex splits and ByteLevel's add_prefix_space of `pre_tokenizer`: ByteLevel alone
    /// (use_regex true: GPT-2's pattern), or a Sequence of Isolated Splits ending in ByteLevel.
    private static func readPreTokenizer(_ value: Any?, file: String) throws -> ([IsolatedSplit], IsolatedSplit?, Bool) {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.unsupported(file: file, field: "pre_tokenizer", value: value == nil || value is NSNull ? "null" : "\(value ?? "")")
        }
        var steps: [(object: [String: Any], field: String)] = [(object, "pre_tokenizer")]
        if object["type"] as? String == "Sequence" {
            guard let list = object["pretokenizers"] as? [[String: Any]] else {
                throw TokenizerError.invalidFile(file: file, field: "pre_tokenizer.pretokenizers", reason: "expected a list of objects")
            }
            steps = list.enumerated().map { ($1, "pre_tokenizer.pretokenizers[\($0)]") }
        }
        var splits: [IsolatedSplit] = []
        for (index, (step, field)) in steps.enumerated() {
            let type = step["type"] as? String ?? "(none)"
            switch type {
            case "Split" where index < steps.count - 1:
                let behavior = step["behavior"] as? String ?? "(none)"
                guard behavior == "Isolated" else { throw TokenizerError.unsupported(file: file, field: "\(field).behavior", value: behavior) }
                if step["invert"] as? Bool == true { throw TokenizerError.unsupported(file: file, field: "\(field).invert", value: "true") }
                let pattern = step["pattern"] as? [String: Any]
                if let regex = pattern?["Regex"] as? String {
                    splits.append(try IsolatedSplit(pattern: regex, file: file, field: "\(field).pattern.Regex"))
                } else if let literal = pattern?["String"] as? String {
                    splits.append(try IsolatedSplit(pattern: NSRegularExpression.escapedPattern(for: literal), file: file,
                                                    field: "\(field).pattern.String"))
                } else {
                    throw TokenizerError.invalidFile(file: file, field: "\(field).pattern", reason: "expected {\"Regex\": ...} or {\"String\": ...}")
                }
            case "ByteLevel" where index == steps.count - 1:
                let byteLevelSplit = step["use_regex"] as? Bool ?? true
                    ? try IsolatedSplit(pattern: IsolatedSplit.gpt2Pattern, file: file, field: "\(field).use_regex") : nil
                return (splits, byteLevelSplit, step["add_prefix_space"] as? Bool ?? true)
            default:
                throw TokenizerError.unsupported(file: file, field: "\(field).type", value: type)
            }
        }
        throw TokenizerError.unsupported(file: file, field: "pre_tokenizer", value: "no ByteLevel step at the end")
    }

    /// The ids of the special tokens that `post_processor`'s TemplateProcessing (alone or in a
    /// Sequence) puts before and after a single sequence.
    private static func templateEnds(_ value: Any?) -> (first: Int?, last: Int?) {
        guard let object = value as? [String: Any] else { return (nil, nil) }
        if object["type"] as? String == "Sequence", let list = object["processors"] as? [[String: Any]] {
            for processor in list {
                let ends = templateEnds(processor)
                if ends.first != nil || ends.last != nil { return ends }
            }
            return (nil, nil)
        }
        guard object["type"] as? String == "TemplateProcessing", let single = object["single"] as? [[String: Any]] else { return (nil, nil) }
        let specials = object["special_tokens"] as? [String: Any]
        func id(_ piece: [String: Any]?) -> Int? {
            guard let token = piece?["SpecialToken"] as? [String: Any], let name = token["id"] as? String,
                  let entry = specials?[name] as? [String: Any], let ids = entry["ids"] as? [Int], ids.count == 1 else { return nil }
            return ids[0]
        }
        return (id(single.first), single.count > 1 ? id(single.last) : nil)
    }

    public var vocabularySize: Int { idCount }

    public func id(of token: String) -> Int? {
        addedTokens.first(where: { $0.content == token })?.id ?? vocabulary[token]
    }

    public func tokenize(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        for (part, token) in rawMatcher.split(text) {
            if let token {
                ids.append(token.id)
                continue
            }
            let normalized = normalizesNFC ? Self.nfc(part) : part
            for (piece, token) in normalizedMatcher.split(normalized) {
                if let token {
                    ids.append(token.id)
                } else if !piece.isEmpty {
                    preTokenize(piece, into: &ids)
                }
            }
        }
        TokenizerWork.current?.add(steps: text.utf8.count, bytes: text.utf8.count)
        return ids
    }

    /// The Splits, then ByteLevel on each piece: a space put first when `add_prefix_space` and
    /// the piece starts otherwise, GPT-2's split when `use_regex`, then BPE on each part's bytes.
    /// NFC, skipping Foundation's normaliser when every scalar is below U+0300: those are all
    /// starters that NFC keeps, and nothing composes with them without a following scalar at
    /// U+0300 or above (combining marks, Hangul jamo, and the other second members of compositions).
    static func nfc(_ text: String) -> String {
        text.unicodeScalars.allSatisfy { $0.value < 0x300 } ? text : text.precomposedStringWithCanonicalMapping
    }

    private func preTokenize(_ text: String, into ids: inout [Int]) {
        var pieces = [text]
        for split in splits { pieces = pieces.flatMap { split.split($0) } }
        for piece in pieces {
            let prefixed = addPrefixSpace && !piece.hasPrefix(" ") ? " " + piece : piece
            guard let byteLevelSplit else {
                ids += word(Array(prefixed.utf8))
                continue
            }
            for part in byteLevelSplit.split(prefixed) { ids += word(Array(part.utf8)) }
        }
    }

    /// The ids of one pre-token's bytes, through the cache.
    private func word(_ bytes: [UInt8]) -> [Int] {
        cacheLock.lock()
        let cached = cache[bytes]
        cacheLock.unlock()
        if let cached { return cached }
        let ids = merge(bytes)
        cacheLock.lock()
        if cache.count >= Self.cacheCapacity { cache.removeAll(keepingCapacity: true) }
        cache[bytes] = ids
        cacheLock.unlock()
        return ids
    }

    /// BPE over the byte-level characters of `bytes`: while some neighbouring pair has a merge,
    /// merge the lowest-ranked one (the leftmost among equal ranks), as `Word::merge_all` does
    /// with its priority queue (without dropout the order is the same).
    func merge(_ bytes: [UInt8]) -> [Int] {
        if ignoreMerges, let id = vocabulary[ByteLevelAlphabet.string(bytes)] { return [id] }
        var symbols = bytes.compactMap { byteIDs[Int($0)] }
        while symbols.count > 1 {
            var best: (rank: Int, id: Int, index: Int)?
            for index in 0..<(symbols.count - 1) {
                if let merge = merges[UInt64(symbols[index]) << 32 | UInt64(symbols[index + 1])],
                   merge.rank < best?.rank ?? Int.max {
                    best = (merge.rank, merge.id, index)
                }
            }
            guard let best else { break }
            symbols[best.index] = best.id
            symbols.remove(at: best.index + 1)
        }
        return symbols
    }

    /// The text of `ids` (byte-level tokens back to bytes, added tokens as their content), for tests.
    public func decode(_ ids: [Int]) -> String {
        var inverse: [Int: String] = [:]
        for (token, id) in vocabulary { inverse[id] = token }
        var byteOf: [Character: UInt8] = [:]
        for (byte, character) in ByteLevelAlphabet.characters.enumerated() { byteOf[character] = UInt8(byte) }
        var bytes: [UInt8] = []
        for id in ids {
            if let token = addedTokens.first(where: { $0.id == id }) {
                bytes += Array(token.content.utf8)
            } else if let token = inverse[id] {
                bytes += token.compactMap { byteOf[$0] }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
