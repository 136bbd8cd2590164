import Foundation

/// Qwen2's `config.json`, with Hugging Face's field names and defaults
/// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/qwen2/configuration_qwen2.py).
public struct Qwen2Config: Decodable, Equatable, Sendable, DecoderBackboneConfig {
    public var vocabSize = 151936
    public var hiddenSize = 4096
    public var intermediateSize = 22016
    public var numHiddenLayers = 32
    public var numAttentionHeads = 32
    /// Key/value heads of grouped-query attention (null or absent: `num_attention_heads`).
    public var numKeyValueHeads = 32
    public var hiddenAct = "silu"
    public var maxPositionEmbeddings = 32768
    public var initializerRange = 0.02
    public var rmsNormEps = 1e-6
    public var padTokenId: Int?
    public var tieWordEmbeddings = false
    public var ropeTheta = 10000.0
    /// Only `false` is implemented (see ``validate(file:)``).
    public var useSlidingWindow = false
    /// The window of the eager/SDPA causal mask, which transformers v4.40.2 applies whatever
    /// `use_sliding_window` says (Qwen2Model passes `sliding_window=self.config.sliding_window` to
    /// `_prepare_4d_causal_attention_mask`); null: no window.
    public var slidingWindow: Int? = 4096
    public var maxWindowLayers = 28
    public var attentionDropout = 0.0
    /// Not a v4.40.2 field (Qwen2Config ignores it); decoded so that a later checkpoint asking for
    /// scaled RoPE is refused rather than computed without it.
    public var ropeScaling: LlamaConfig.RopeScaling?

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
        case tieWordEmbeddings = "tie_word_embeddings"
        case ropeTheta = "rope_theta"
        case useSlidingWindow = "use_sliding_window"
        case slidingWindow = "sliding_window"
        case maxWindowLayers = "max_window_layers"
        case attentionDropout = "attention_dropout"
        case ropeScaling = "rope_scaling"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = Qwen2Config()
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
        config.tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? config.tieWordEmbeddings
        config.ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? config.ropeTheta
        config.useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? config.useSlidingWindow
        config.slidingWindow = try c.decodeNullable(Int.self, forKey: .slidingWindow, default: config.slidingWindow)
        config.maxWindowLayers = try c.decodeIfPresent(Int.self, forKey: .maxWindowLayers) ?? config.maxWindowLayers
        config.attentionDropout = try c.decodeIfPresent(Double.self, forKey: .attentionDropout) ?? config.attentionDropout
        config.ropeScaling = try c.decodeIfPresent(LlamaConfig.RopeScaling.self, forKey: .ropeScaling)
        self = config
    }

    /// Reads `file` (a config.json), decoding errors as ``ModelError/invalidConfig`` naming the field.
    public static func read(file: String) throws -> Qwen2Config {
        try readDecoderConfig(Qwen2Config.self, file: file)
    }

    /// Checks what the implementation covers; `file` names config.json in errors.
    public func validate(file: String) throws {
        if useSlidingWindow {
            // transformers' own paths disagree there (flash attention windows only the layers below
            // max_window_layers, eager and SDPA window every layer): not implemented.
            throw ModelError.unsupportedConfig(file: file, field: "use_sliding_window",
                                               reason: "sliding-window attention is not implemented (only use_sliding_window false)")
        }
        if let ropeScaling {
            throw ModelError.unsupportedConfig(file: file, field: "rope_scaling",
                                               reason: "rope scaling type \"\(ropeScaling.kind)\" is not implemented (only plain RoPE: rope_scaling null)")
        }
        guard hiddenAct == "silu" else {
            throw ModelError.unsupportedConfig(file: file, field: "hidden_act", reason: "\"\(hiddenAct)\" is not implemented (only \"silu\")")
        }
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_attention_heads",
                                           reason: "hidden_size \(hiddenSize) is not a multiple of \(numAttentionHeads) heads")
        }
        try validateAttentionShape(file: file, heads: numAttentionHeads, keyValueHeads: numKeyValueHeads, headSize: headSize,
                                   ropeTheta: ropeTheta)
        if let slidingWindow, slidingWindow <= 0 {
            throw ModelError.invalidConfig(file: file, field: "sliding_window", reason: "must be positive or null, not \(slidingWindow)")
        }
    }
}
