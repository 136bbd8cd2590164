import Foundation

/// Gemma's `config.json`, with Hugging Face's field names and defaults
/// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/gemma/configuration_gemma.py).
public struct GemmaConfig: Decodable, Equatable, Sendable, DecoderBackboneConfig {
    public var vocabSize = 256000
    public var hiddenSize = 3072
    public var intermediateSize = 24576
    public var numHiddenLayers = 28
    public var numAttentionHeads = 16
    public var numKeyValueHeads = 16
    /// Channels per attention head, a field of its own (not `hidden_size / num_attention_heads`).
    public var headDim = 256
    /// Ignored by v4.40.2's GemmaMLP (see ``activationName``); kept for the record.
    public var hiddenAct = "gelu_pytorch_tanh"
    /// The MLP's activation; nil (the default) means gelu_pytorch_tanh, whatever `hidden_act` says.
    public var hiddenActivation: String?
    public var maxPositionEmbeddings = 8192
    public var initializerRange = 0.02
    public var rmsNormEps = 1e-6
    public var padTokenId: Int? = 0
    public var tieWordEmbeddings = true
    public var ropeTheta = 10000.0
    public var attentionBias = false
    public var attentionDropout = 0.0

    public init() {}

    /// The activation GemmaMLP applies in v4.40.2: `hidden_activation`, or gelu_pytorch_tanh when it
    /// is null (transformers warns that the legacy `hidden_act` is not used:
    /// https://github.com/huggingface/transformers/pull/29402).
    public var activationName: String { hiddenActivation ?? "gelu_pytorch_tanh" }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case hiddenActivation = "hidden_activation"
        case maxPositionEmbeddings = "max_position_embeddings"
        case initializerRange = "initializer_range"
        case rmsNormEps = "rms_norm_eps"
        case padTokenId = "pad_token_id"
        case tieWordEmbeddings = "tie_word_embeddings"
        case ropeTheta = "rope_theta"
        case attentionBias = "attention_bias"
        case attentionDropout = "attention_dropout"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = GemmaConfig()
        config.vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? config.vocabSize
        config.hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? config.hiddenSize
        config.intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? config.intermediateSize
        config.numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? config.numHiddenLayers
        config.numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? config.numAttentionHeads
        config.numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? config.numKeyValueHeads
        config.headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? config.headDim
        config.hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? config.hiddenAct
        config.hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation)
        config.maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? config.maxPositionEmbeddings
        config.initializerRange = try c.decodeIfPresent(Double.self, forKey: .initializerRange) ?? config.initializerRange
        config.rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? config.rmsNormEps
        config.padTokenId = try c.decodeNullable(Int.self, forKey: .padTokenId, default: config.padTokenId)
        config.tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? config.tieWordEmbeddings
        config.ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? config.ropeTheta
        config.attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? config.attentionBias
        config.attentionDropout = try c.decodeIfPresent(Double.self, forKey: .attentionDropout) ?? config.attentionDropout
        self = config
    }

    /// Reads `file` (a config.json), decoding errors as ``ModelError/invalidConfig`` naming the field.
    public static func read(file: String) throws -> GemmaConfig {
        try readDecoderConfig(GemmaConfig.self, file: file)
    }

    /// The MLP activation, or ``ModelError/unsupportedConfig`` naming `hidden_activation`.
    public func activation(file: String) throws -> Activation {
        guard let activation = Activation(rawValue: activationName) else {
            throw ModelError.unsupportedConfig(file: file, field: "hidden_activation",
                                               reason: "\"\(activationName)\" is not implemented (gelu_pytorch_tanh, gelu, gelu_new, relu, silu, tanh)")
        }
        return activation
    }

    /// Checks what the implementation covers; `file` names config.json in errors.
    public func validate(file: String) throws {
        _ = try activation(file: file)
        // GemmaAttention raises this ValueError although head_dim is its own field.
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_attention_heads",
                                           reason: "hidden_size \(hiddenSize) is not a multiple of \(numAttentionHeads) heads")
        }
        try validateAttentionShape(file: file, heads: numAttentionHeads, keyValueHeads: numKeyValueHeads, headSize: headDim,
                                   ropeTheta: ropeTheta)
    }
}
