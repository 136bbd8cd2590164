import Foundation

/// Llama's `config.json`, with Hugging Face's field names and defaults
/// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/configuration_llama.py).
public struct LlamaConfig: Decodable, Equatable, Sendable {
    public var vocabSize = 32000
    public var hiddenSize = 4096
    public var intermediateSize = 11008
    public var numHiddenLayers = 32
    public var numAttentionHeads = 32
    /// Key/value heads of grouped-query attention (null or absent: `num_attention_heads`).
    public var numKeyValueHeads = 32
    public var hiddenAct = "silu"
    public var maxPositionEmbeddings = 2048
    public var initializerRange = 0.02
    public var rmsNormEps = 1e-6
    public var padTokenId: Int?
    public var pretrainingTp = 1
    public var tieWordEmbeddings = false
    public var ropeTheta = 10000.0
    /// `rope_scaling`: nil is plain RoPE, the only kind implemented (see ``validate(file:)``).
    public var ropeScaling: RopeScaling?
    public var attentionBias = false
    public var attentionDropout = 0.0

    /// The `rope_scaling` dictionary: its kind under `type` (transformers 4.40: "linear",
    /// "dynamic") or `rope_type` (later versions: "llama3", "yarn", ...). Other keys are ignored.
    public struct RopeScaling: Decodable, Equatable, Sendable {
        public var type: String?
        public var ropeType: String?

        enum CodingKeys: String, CodingKey {
            case type
            case ropeType = "rope_type"
        }

        /// The kind as the config names it.
        public var kind: String { type ?? ropeType ?? "(no type)" }
    }

    public init() {}

    /// Channels per attention head (`hidden_size // num_attention_heads`).
    public var headSize: Int { numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0 }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case initializerRange = "initializer_range"
        case rmsNormEps = "rms_norm_eps"
        case padTokenId = "pad_token_id"
        case pretrainingTp = "pretraining_tp"
        case tieWordEmbeddings = "tie_word_embeddings"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
        case attentionDropout = "attention_dropout"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = LlamaConfig()
        config.vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? config.vocabSize
        config.hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? config.hiddenSize
        config.intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? config.intermediateSize
        config.numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? config.numHiddenLayers
        config.numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? config.numAttentionHeads
        config.numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? config.numAttentionHeads
        config.hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? config.hiddenAct
        config.maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? config.maxPositionEmbeddings
        config.initializerRange = try c.decodeIfPresent(Double.self, forKey: .initializerRange) ?? config.initializerRange
        config.rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? config.rmsNormEps
        config.padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        config.pretrainingTp = try c.decodeIfPresent(Int.self, forKey: .pretrainingTp) ?? config.pretrainingTp
        config.tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? config.tieWordEmbeddings
        config.ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? config.ropeTheta
        config.ropeScaling = try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling)
        config.attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? config.attentionBias
        config.attentionDropout = try c.decodeIfPresent(Double.self, forKey: .attentionDropout) ?? config.attentionDropout
        self = config
    }

    /// Reads `file` (a config.json), turning decoding errors into ``ModelError/invalidConfig``
    /// as ``ModelFolder/decodeConfig(_:)`` does. (`ModelFolder` itself needs a registered family,
    /// which Llama is not yet: docs/MODEL_FAMILIES.md.)
    public static func read(file: String) throws -> LlamaConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ModelError.missingConfig(folder: URL(fileURLWithPath: file).deletingLastPathComponent().path)
        }
        do {
            return try JSONDecoder().decode(LlamaConfig.self, from: data)
        } catch let error as DecodingError {
            throw ModelError.invalidConfig(file: file, field: ModelFolder.field(of: error), reason: ModelFolder.reason(of: error))
        } catch {
            throw ModelError.invalidConfig(file: file, field: "(file)", reason: "not valid JSON: \(error.localizedDescription)")
        }
    }

    /// Checks what the implementation covers; `file` names config.json in errors.
    public func validate(file: String) throws {
        if let ropeScaling {
            throw ModelError.unsupportedConfig(file: file, field: "rope_scaling",
                                               reason: "rope scaling type \"\(ropeScaling.kind)\" is not implemented (only plain RoPE: rope_scaling null)")
        }
        guard hiddenAct == "silu" else {
            throw ModelError.unsupportedConfig(file: file, field: "hidden_act",
                                               reason: "\"\(hiddenAct)\" is not implemented (only \"silu\")")
        }
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_attention_heads",
                                           reason: "hidden_size \(hiddenSize) is not a multiple of \(numAttentionHeads) heads")
        }
        guard numKeyValueHeads > 0, numAttentionHeads % numKeyValueHeads == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_key_value_heads",
                                           reason: "\(numAttentionHeads) attention heads are not a multiple of \(numKeyValueHeads) key/value heads")
        }
        guard headSize % 2 == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_attention_heads",
                                           reason: "rotary embeddings need an even head size, not \(headSize)")
        }
        guard ropeTheta > 0 else {
            throw ModelError.invalidConfig(file: file, field: "rope_theta", reason: "must be positive, not \(ropeTheta)")
        }
    }
}
