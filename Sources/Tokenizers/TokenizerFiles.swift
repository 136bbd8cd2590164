import Foundation

extension WordPieceTokenizer {
    /// Reads a Hugging Face `tokenizer.json` whose model is WordPiece with a BertNormalizer (or
    /// none) and a BertPreTokenizer; anything else is an ``TokenizerError/unsupported`` error
    /// naming the field.
    public init(tokenizerJSONFile file: String) throws {
        let root = try readJSONObject(file)
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.invalidFile(file: file, field: "model", reason: "missing (expected an object)")
        }
        let modelType = model["type"] as? String ?? "(none)"
        guard modelType == "WordPiece" else { throw TokenizerError.unsupported(file: file, field: "model.type", value: modelType) }
        guard let vocabulary = model["vocab"] as? [String: Any] else {
            throw TokenizerError.invalidFile(file: file, field: "model.vocab", reason: "missing (expected an object of token ids)")
        }
        var ids: [String: Int] = [:]
        for (token, value) in vocabulary {
            guard let id = value as? Int, id >= 0 else {
                throw TokenizerError.invalidFile(file: file, field: "model.vocab.\(token)", reason: "expected a non-negative integer id")
            }
            ids[token] = id
        }
        var normalizer = BertNormalizer(lowercase: false)
        switch root["normalizer"] {
        case nil, is NSNull:
            normalizer = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
        case let object as [String: Any]:
            let type = object["type"] as? String ?? "(none)"
            guard type == "BertNormalizer" else { throw TokenizerError.unsupported(file: file, field: "normalizer.type", value: type) }
            normalizer = BertNormalizer(cleanText: object["clean_text"] as? Bool ?? true,
                                        handleChineseChars: object["handle_chinese_chars"] as? Bool ?? true,
                                        stripAccents: object["strip_accents"] as? Bool,
                                        lowercase: object["lowercase"] as? Bool ?? true)
        default:
            throw TokenizerError.invalidFile(file: file, field: "normalizer", reason: "expected an object or null")
        }
        if let preTokenizer = root["pre_tokenizer"] as? [String: Any] {
            let type = preTokenizer["type"] as? String ?? "(none)"
            guard type == "BertPreTokenizer" else { throw TokenizerError.unsupported(file: file, field: "pre_tokenizer.type", value: type) }
        }
        var special: [String] = []
        if let added = root["added_tokens"] as? [[String: Any]] {
            special = added.compactMap { ($0["special"] as? Bool) == true ? $0["content"] as? String : nil }
        }
        let unknown = model["unk_token"] as? String ?? "[UNK]"
        try self.init(vocabulary: ids, normalizer: normalizer, unknownToken: unknown, classificationToken: "[CLS]",
                      separatorToken: "[SEP]", paddingToken: "[PAD]", extraSpecialTokens: special,
                      continuingSubwordPrefix: model["continuing_subword_prefix"] as? String ?? "##",
                      maxInputCharactersPerWord: model["max_input_chars_per_word"] as? Int ?? 100, file: file)
    }
}

/// Loads the tokenizer of a Hugging Face model folder.
public enum TokenizerLoader {
    /// Picks by the files present, in this order:
    /// - `spm.model`: DeBERTa-v3's SentencePiece (`tokenizer_config.json`'s do_lower_case and vocab_type);
    /// - `tokenizer.json`, by `model.type`: WordPiece -> ``WordPieceTokenizer``; BPE with a
    ///   ByteLevel pre-tokeniser (Llama-3, Qwen2, GPT-2) -> ``ByteLevelBPETokenizer``; BPE without
    ///   one (Llama-2 / Gemma's fast tokenizer: Metaspace or a Replace normaliser, byte fallback)
    ///   -> the folder's `tokenizer.model` through SentencePiece (``SentencePieceTokenizer/init(decoderModelFile:configFile:)``),
    ///   an ``TokenizerError/unsupported`` error naming `pre_tokenizer` when there is none; any
    ///   other model type is unsupported (`model.type`);
    /// - `tokenizer.model` alone: a decoder's SentencePiece (Llama-2, Gemma);
    /// - `vocab.txt` with `tokenizer_config.json`'s do_lower_case / strip_accents / tokenize_chinese_chars.
    public static func load(folder: String) throws -> any Tokenizer {
        let fileManager = FileManager.default
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        func exists(_ name: String) -> Bool { fileManager.fileExists(atPath: path(name)) }
        var config: [String: Any] = [:]
        if exists("tokenizer_config.json") { config = try readJSONObject(path("tokenizer_config.json")) }
        let configFile = exists("tokenizer_config.json") ? path("tokenizer_config.json") : nil
        if exists("spm.model") {
            if let type = config["vocab_type"] as? String, type != "spm" {
                throw TokenizerError.unsupported(file: path("tokenizer_config.json"), field: "vocab_type", value: type)
            }
            return try SentencePieceTokenizer(modelFile: path("spm.model"), lowercase: config["do_lower_case"] as? Bool ?? false)
        }
        if exists("tokenizer.json") {
            let file = path("tokenizer.json")
            let root = try readJSONObject(file)
            let model = root["model"] as? [String: Any]
            let type = model?["type"] as? String ?? "(none)"
            switch type {
            case "WordPiece":
                return try WordPieceTokenizer(tokenizerJSONFile: file)
            case "BPE" where hasByteLevelPreTokenizer(root["pre_tokenizer"]):
                return try ByteLevelBPETokenizer(root: root, file: file, config: try configFile.map { try DecoderTokenizerConfig(file: $0) })
            case "BPE" where exists("tokenizer.model"):
                return try SentencePieceTokenizer(decoderModelFile: path("tokenizer.model"), configFile: configFile)
            case "BPE":
                let preTokenizer = (root["pre_tokenizer"] as? [String: Any])?["type"] as? String ?? "null"
                throw TokenizerError.unsupported(file: file, field: "pre_tokenizer", value: "\(preTokenizer) (BPE without ByteLevel needs the folder's tokenizer.model)")
            default:
                throw TokenizerError.unsupported(file: file, field: "model.type", value: type)
            }
        }
        if exists("tokenizer.model") {
            return try SentencePieceTokenizer(decoderModelFile: path("tokenizer.model"), configFile: configFile)
        }
        if exists("vocab.txt") {
            let lowercase = config["do_lower_case"] as? Bool ?? true
            return try WordPieceTokenizer(vocabularyFile: path("vocab.txt"), lowercase: lowercase,
                                          stripAccents: config["strip_accents"] as? Bool,
                                          handleChineseChars: config["tokenize_chinese_chars"] as? Bool ?? true)
        }
        throw TokenizerError.cannotRead(file: folder, reason: "no spm.model, tokenizer.json, tokenizer.model or vocab.txt")
    }

    /// Whether `pre_tokenizer` is ByteLevel or a Sequence holding one.
    static func hasByteLevelPreTokenizer(_ value: Any?) -> Bool {
        guard let object = value as? [String: Any] else { return false }
        switch object["type"] as? String {
        case "ByteLevel": return true
        case "Sequence": return (object["pretokenizers"] as? [Any] ?? []).contains { hasByteLevelPreTokenizer($0) }
        default: return false
        }
    }
}

func readJSONObject(_ file: String) throws -> [String: Any] {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw TokenizerError.cannotRead(file: file, reason: FileManager.default.fileExists(atPath: file) ? "not readable" : "no such file")
    }
    let object: Any
    do {
        object = try JSONSerialization.jsonObject(with: data)
    } catch {
        throw TokenizerError.invalidFile(file: file, field: "(file)", reason: "not valid JSON")
    }
    guard let dictionary = object as? [String: Any] else {
        throw TokenizerError.invalidFile(file: file, field: "(file)", reason: "expected a JSON object")
    }
    return dictionary
}
