import Foundation

/// Gemma-2's `config.json`, with Hugging Face's field names and defaults
/// (https://github.com/huggingface/transformers/blob/v4.42.4/src/transformers/models/gemma2/configuration_gemma2.py;
/// Gemma-2 is not in v4.40.2, the version the rest of arena mirrors).
public struct Gemma2Config: Decodable, Equatable, Sendable, DecoderBackboneConfig {
    public var vocabSize = 256000
    public var hiddenSize = 3072
    public var intermediateSize = 24576
    public var numHiddenLayers = 28
    public var numAttentionHeads = 16
    public var numKeyValueHeads = 16
    /// Channels per attention head, a field of its own (not `hidden_size / num_attention_heads`).
    public var headDim = 256
    public var hiddenActivation = "gelu_pytorch_tanh"
    public var maxPositionEmbeddings = 8192
    public var initializerRange = 0.02
    public var rmsNormEps = 1e-6
    public var padTokenId: Int? = 0
    public var tieWordEmbeddings = true
    public var ropeTheta = 10000.0
    public var attentionBias = false
    public var attentionDropout = 0.0
    /// `tanh(logits / cap) · cap` on Gemma2ForCausalLM's lm_head logits; null: none. Not applied
    /// by Gemma2ForSequenceClassification (in v4.42.4 neither), the only head built here.
    public var finalLogitSoftcapping: Double? = 30.0
    /// `tanh(scores / cap) · cap` on the attention scores before the mask; null: none.
    public var attnLogitSoftcapping: Double? = 50.0
    /// The attention scaling is `query_pre_attn_scalar^-0.5` (not `head_dim^-0.5`).
    public var queryPreAttnScalar = 224.0
    /// The window of the sliding layers (0, 2, 4, ...): a query attends the `sliding_window` most
    /// recent keys, itself included.
    public var slidingWindow = 4096

    public init() {}

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenActivation = "hidden_activation"
        case maxPositionEmbeddings = "max_position_embeddings"
        case initializerRange = "initializer_range"
        case rmsNormEps = "rms_norm_eps"
        case padTokenId = "pad_token_id"
        case tieWordEmbeddings = "tie_word_embeddings"
        case ropeTheta = "rope_theta"
        case attentionBias = "attention_bias"
        case attentionDropout = "attention_dropout"
        case finalLogitSoftcapping = "final_logit_softcapping"
        case attnLogitSoftcapping = "attn_logit_softcapping"
        case queryPreAttnScalar = "query_pre_attn_scalar"
        case slidingWindow = "sliding_window"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = Gemma2Config()
        config.vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? config.vocabSize
        config.hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? config.hiddenSize
        config.intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? config.intermediateSize
        config.numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? config.numHiddenLayers
        config.numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? config.numAttentionHeads
        config.numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? config.numKeyValueHeads
        config.headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? config.headDim
        config.hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? config.hiddenActivation
        config.maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? config.maxPositionEmbeddings
        config.initializerRange = try c.decodeIfPresent(Double.self, forKey: .initializerRange) ?? config.initializerRange
        config.rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? config.rmsNormEps
        config.padTokenId = try c.decodeNullable(Int.self, forKey: .padTokenId, default: config.padTokenId)
        config.tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? config.tieWordEmbeddings
        config.ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? config.ropeTheta
        config.attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? config.attentionBias
        config.attentionDropout = try c.decodeIfPresent(Double.self, forKey: .attentionDropout) ?? config.attentionDropout
        config.finalLogitSoftcapping = try c.decodeNullable(Double.self, forKey: .finalLogitSoftcapping, default: config.finalLogitSoftcapping)
        config.attnLogitSoftcapping = try c.decodeNullable(Double.self, forKey: .attnLogitSoftcapping, default: config.attnLogitSoftcapping)
        config.queryPreAttnScalar = try c.decodeIfPresent(Double.self, forKey: .queryPreAttnScalar) ?? config.queryPreAttnScalar
        config.slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow) ?? config.slidingWindow
        self = config
    }

    /// Reads `file` (a config.json), decoding errors as ``ModelError/invalidConfig`` naming the field.
    public static func read(file: String) throws -> Gemma2Config {
        try readDecoderConfig(Gemma2Config.self, file: file)
    }

    /// The MLP activation, or ``ModelError/unsupportedConfig`` naming `hidden_activation`.
    public func activation(file: String) throws -> Activation {
        guard let activation = Activation(rawValue: hiddenActivation) else {
            throw ModelError.unsupportedConfig(file: file, field: "hidden_activation",
                                               reason: "\"\(hiddenActivation)\" is not implemented (gelu_pytorch_tanh, gelu, gelu_new, relu, silu, tanh)")
        }
        return activation
    }

    /// Whether layer `index` uses the sliding window: the even ones (Gemma2DecoderLayer:
    /// `is_sliding = not bool(layer_idx % 2)`).
    public static func isSliding(layer index: Int) -> Bool { index % 2 == 0 }

    /// Checks what the implementation covers; `file` names config.json in errors.
    public func validate(file: String) throws {
        _ = try activation(file: file)
        // Gemma2Attention raises this ValueError although head_dim is its own field.
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_attention_heads",
                                           reason: "hidden_size \(hiddenSize) is not a multiple of \(numAttentionHeads) heads")
        }
        try validateAttentionShape(file: file, heads: numAttentionHeads, keyValueHeads: numKeyValueHeads, headSize: headDim,
                                   ropeTheta: ropeTheta)
        guard queryPreAttnScalar > 0 else {
            throw ModelError.invalidConfig(file: file, field: "query_pre_attn_scalar", reason: "must be positive, not \(queryPreAttnScalar)")
        }
        guard slidingWindow > 0 else {
            throw ModelError.invalidConfig(file: file, field: "sliding_window", reason: "must be positive, not \(slidingWindow)")
        }
        for (field, cap) in [("attn_logit_softcapping", attnLogitSoftcapping), ("final_logit_softcapping", finalLogitSoftcapping)] {
            if let cap, !(cap > 0) {
                throw ModelError.invalidConfig(file: file, field: field, reason: "must be positive or null, not \(cap)")
            }
        }
    }
}
