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
    /// `rope_scaling`: nil is plain RoPE; "linear", "dynamic" (transformers v4.40.2) and "llama3"
    /// (v4.43) are implemented, others refused by ``validate(file:)`` (``rotaryScaling(file:)``).
    public var ropeScaling: RopeScaling?
    public var attentionBias = false
    /// `mlp_bias` (transformers 4.43+): biases on the MLP projections, which this model does not
    /// build; true is refused by name.
    public var mlpBias = false
    public var attentionDropout = 0.0

    /// The `rope_scaling` dictionary: its kind under `type` (transformers 4.40: "linear",
    /// "dynamic") or `rope_type` (4.43+: "llama3", "yarn", ...; `type` wins when both are given, as
    /// 4.43's LlamaConfig copies `type` over `rope_type`), and the fields of the kinds implemented.
    /// Other keys are ignored. ``LlamaConfig/rotaryScaling(file:)`` checks them.
    public struct RopeScaling: Decodable, Equatable, Sendable {
        public var type: String?
        public var ropeType: String?
        /// `factor`: every kind's scaling factor.
        public var factor: Double?
        /// llama3's `low_freq_factor`, `high_freq_factor` and `original_max_position_embeddings`.
        public var lowFreqFactor: Double?
        public var highFreqFactor: Double?
        public var originalMaxPositionEmbeddings: Int?

        public init(type: String? = nil, ropeType: String? = nil, factor: Double? = nil, lowFreqFactor: Double? = nil,
                    highFreqFactor: Double? = nil, originalMaxPositionEmbeddings: Int? = nil) {
            self.type = type
            self.ropeType = ropeType
            self.factor = factor
            self.lowFreqFactor = lowFreqFactor
            self.highFreqFactor = highFreqFactor
            self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
        }

        enum CodingKeys: String, CodingKey {
            case type
            case ropeType = "rope_type"
            case factor
            case lowFreqFactor = "low_freq_factor"
            case highFreqFactor = "high_freq_factor"
            case originalMaxPositionEmbeddings = "original_max_position_embeddings"
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
        case mlpBias = "mlp_bias"
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
        config.mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
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
        if mlpBias {
            throw ModelError.unsupportedConfig(file: file, field: "mlp_bias", reason: "biases on the MLP projections are not implemented (only false)")
        }
        _ = try rotaryScaling(file: file)
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

    /// `rope_scaling` as ``LlamaRotaryEmbedding`` applies it (nil: plain RoPE), checked as
    /// transformers checks it, naming the field at fault (`rope_scaling.factor`, ...):
    /// - "linear" and "dynamic" (v4.40.2 `LlamaConfig._rope_scaling_validation`): `factor` > 1;
    /// - "llama3" (v4.43 `_validate_llama3_parameters`, which only warns; arena refuses what would
    ///   divide by zero or scale the wrong way): `factor` >= 1, 0 < `low_freq_factor` <
    ///   `high_freq_factor`, `original_max_position_embeddings` > 0;
    /// - any other kind ("yarn", "longrope", "su", ...) is refused by name.
    public func rotaryScaling(file: String) throws -> LlamaRotaryEmbedding.Scaling? {
        guard let ropeScaling else { return nil }
        func required<Value>(_ value: Value?, _ name: String) throws -> Value {
            guard let value else {
                throw ModelError.invalidConfig(file: file, field: "rope_scaling.\(name)",
                                               reason: "rope scaling type \"\(ropeScaling.kind)\" needs \(name)")
            }
            return value
        }
        switch ropeScaling.kind {
        case "linear", "dynamic":
            let factor = try required(ropeScaling.factor, "factor")
            guard factor > 1 else {
                throw ModelError.invalidConfig(file: file, field: "rope_scaling.factor", reason: "must be a float > 1, not \(factor)")
            }
            return ropeScaling.kind == "linear" ? .linear(factor: factor)
                : .dynamic(factor: factor, maxPositionEmbeddings: maxPositionEmbeddings)
        case "llama3":
            let factor = try required(ropeScaling.factor, "factor")
            let low = try required(ropeScaling.lowFreqFactor, "low_freq_factor")
            let high = try required(ropeScaling.highFreqFactor, "high_freq_factor")
            let original = try required(ropeScaling.originalMaxPositionEmbeddings, "original_max_position_embeddings")
            guard factor >= 1 else {
                throw ModelError.invalidConfig(file: file, field: "rope_scaling.factor", reason: "must be a float >= 1, not \(factor)")
            }
            guard low > 0 else {
                throw ModelError.invalidConfig(file: file, field: "rope_scaling.low_freq_factor", reason: "must be positive, not \(low)")
            }
            guard high > low else {
                throw ModelError.invalidConfig(file: file, field: "rope_scaling.high_freq_factor",
                                               reason: "must be greater than low_freq_factor \(low), not \(high)")
            }
            guard original > 0 else {
                throw ModelError.invalidConfig(file: file, field: "rope_scaling.original_max_position_embeddings",
                                               reason: "must be positive, not \(original)")
            }
            return .llama3(factor: factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: original)
        default:
            throw ModelError.unsupportedConfig(file: file, field: "rope_scaling",
                                               reason: "rope scaling type \"\(ropeScaling.kind)\" is not implemented (only \"linear\", \"dynamic\", \"llama3\" or null)")
        }
    }
}
