import Foundation

/// The special tokens of a decoder LLM's tokenizer (Llama-2/3, Qwen2, Gemma), for the code that
/// frames its inputs (a chat template or a battle encoder): `tokenize(_:)` never adds them.
///
/// ``Tokenizer/specialTokens`` (an encoder's [CLS]/[SEP]/[PAD]/[UNK]) is filled from these:
/// classification = bos (eos when there is none), separator = eos, padding = pad (eos when
/// there is none), unknown = the model's unknown token, else eos.
public struct DecoderSpecialTokens: Equatable, Sendable {
    /// Beginning of sequence (`bos_token`: Llama-3's `<|begin_of_text|>`, Llama-2's `<s>`,
    /// Gemma's `<bos>`); nil when the tokenizer has none (Qwen2).
    public var bos: Int?
    /// End of sequence (`eos_token`: `<|eot_id|>` / `<|end_of_text|>`, `<|im_end|>` /
    /// `<|endoftext|>`, `</s>`, `<eos>`).
    public var eos: Int?
    /// Padding (`pad_token`), nil when the tokenizer names none (Llama-2/3).
    public var pad: Int?
    /// Whether Hugging Face puts bos first with `add_special_tokens=True`: tokenizer_config.json's
    /// `add_bos_token`, else whether tokenizer.json's TemplateProcessing starts with a special
    /// token (Llama-3); LlamaTokenizer and GemmaTokenizer default to true.
    public var addBOS: Bool
    /// Whether Hugging Face puts eos last with `add_special_tokens=True` (`add_eos_token`, or a
    /// TemplateProcessing that ends with a special token).
    public var addEOS: Bool

    public init(bos: Int?, eos: Int?, pad: Int?, addBOS: Bool, addEOS: Bool) {
        self.bos = bos
        self.eos = eos
        self.pad = pad
        self.addBOS = addBOS
        self.addEOS = addEOS
    }

    /// `ids` framed as Hugging Face frames one text with `add_special_tokens=True`.
    public func framing(_ ids: [Int]) -> [Int] {
        var framed = ids
        if addBOS, let bos { framed.insert(bos, at: 0) }
        if addEOS, let eos { framed.append(eos) }
        return framed
    }
}

/// The parts of `tokenizer_config.json` a decoder tokenizer reads (what transformers'
/// `PreTrainedTokenizerBase.save_pretrained` writes, v4.40.2).
struct DecoderTokenizerConfig {
    var file: String
    var bosToken: String?
    var eosToken: String?
    var padToken: String?
    var unknownToken: String?
    var addBOSToken: Bool?
    var addEOSToken: Bool?
    /// `added_tokens_decoder`: id -> token.
    var addedTokens: [AddedToken] = []
    var legacy: Bool?
    var addPrefixSpace: Bool?
    var tokenizerClass: String?

    init(file: String, bosToken: String? = nil, eosToken: String? = nil, padToken: String? = nil) {
        self.file = file
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.padToken = padToken
    }

    /// Reads the file; a special token is a string or an object with a "content" string.
    init(file: String) throws {
        let root = try readJSONObject(file)
        self.file = file
        func token(_ field: String) throws -> String? {
            switch root[field] {
            case nil, is NSNull: return nil
            case let text as String: return text
            case let object as [String: Any]:
                guard let content = object["content"] as? String else {
                    throw TokenizerError.invalidFile(file: file, field: "\(field).content", reason: "expected a string")
                }
                return content
            default:
                throw TokenizerError.invalidFile(file: file, field: field, reason: "expected a string, an object with \"content\" or null")
            }
        }
        bosToken = try token("bos_token")
        eosToken = try token("eos_token")
        padToken = try token("pad_token")
        unknownToken = try token("unk_token")
        addBOSToken = root["add_bos_token"] as? Bool
        addEOSToken = root["add_eos_token"] as? Bool
        legacy = root["legacy"] as? Bool
        addPrefixSpace = root["add_prefix_space"] as? Bool
        tokenizerClass = root["tokenizer_class"] as? String
        if let decoder = root["added_tokens_decoder"] as? [String: Any] {
            for (key, value) in decoder {
                guard let id = Int(key), var object = value as? [String: Any] else {
                    throw TokenizerError.invalidFile(file: file, field: "added_tokens_decoder.\(key)", reason: "expected an id and an object")
                }
                object["id"] = id
                addedTokens.append(try AddedToken(json: object, file: file, field: "added_tokens_decoder.\(key)"))
            }
            addedTokens.sort { $0.id < $1.id }
        }
    }
}
