import Foundation

/// DeBERTa-v2 / v3's `config.json`, with Hugging Face's field names and defaults
/// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/deberta_v2/configuration_deberta_v2.py,
/// plus the fields modeling_deberta_v2.py reads with `getattr` and their defaults there).
public struct DebertaV2Config: Decodable, Equatable, Sendable {
    public var vocabSize = 128100
    public var hiddenSize = 1536
    public var numHiddenLayers = 24
    public var numAttentionHeads = 24
    public var intermediateSize = 6144
    public var hiddenAct: Activation = .gelu
    public var hiddenDropoutProb = 0.1
    public var attentionProbsDropoutProb = 0.1
    public var maxPositionEmbeddings = 512
    public var typeVocabSize = 0
    public var initializerRange = 0.02
    public var layerNormEps = 1e-7
    public var relativeAttention = false
    /// Below 1 means `max_position_embeddings` (see ``relativePositionLimit``).
    public var maxRelativePositions = -1
    /// Log-bucketed relative positions when above 0 (DeBERTa-v3 uses 256).
    public var positionBuckets = -1
    public var padTokenId = 0
    /// Whether absolute position embeddings are added to the token embeddings (false in v3).
    public var positionBiasedInput = true
    /// The relative attention terms, "c2p" and/or "p2c". config.json holds either a list or a
    /// "p2c|c2p" string; the string is lower-cased and split as Hugging Face does. Other
    /// entries are ignored, as Hugging Face ignores them.
    public var posAttType: [String] = []
    /// Whether the relative embeddings go through the layers' `query_proj` / `key_proj`
    /// instead of their own `pos_query_proj` / `pos_key_proj`.
    public var shareAttKey = false
    /// "layer_norm" normalises the relative embeddings (`encoder.LayerNorm`); "none" does not.
    public var normRelEbd = "none"
    /// The token embedding width; `embed_proj` maps it to `hidden_size` when they differ.
    public var embeddingSize: Int?
    /// Per-head width; must equal `hidden_size / num_attention_heads` (the attention output
    /// projection is `hidden_size` wide).
    public var attentionHeadSize: Int?
    /// Above 0 adds a ConvLayer after the first layer (deberta-v2-xlarge); not implemented.
    public var convKernelSize = 0
    /// The pooler of the sequence-classification head (`ContextPooler`).
    public var poolerHiddenSize: Int?
    public var poolerDropout = 0.0
    public var poolerHiddenAct: Activation = .gelu
    /// Dropout before the sequence-classification head (`cls_dropout`; absent: hidden_dropout_prob).
    public var clsDropout: Double?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case initializerRange = "initializer_range"
        case layerNormEps = "layer_norm_eps"
        case relativeAttention = "relative_attention"
        case maxRelativePositions = "max_relative_positions"
        case positionBuckets = "position_buckets"
        case padTokenId = "pad_token_id"
        case positionBiasedInput = "position_biased_input"
        case posAttType = "pos_att_type"
        case shareAttKey = "share_att_key"
        case normRelEbd = "norm_rel_ebd"
        case embeddingSize = "embedding_size"
        case attentionHeadSize = "attention_head_size"
        case convKernelSize = "conv_kernel_size"
        case poolerHiddenSize = "pooler_hidden_size"
        case poolerDropout = "pooler_dropout"
        case clsDropout = "cls_dropout"
        case poolerHiddenAct = "pooler_hidden_act"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = DebertaV2Config()
        config.vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? config.vocabSize
        config.hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? config.hiddenSize
        config.numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? config.numHiddenLayers
        config.numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? config.numAttentionHeads
        config.intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? config.intermediateSize
        config.hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? config.hiddenAct
        config.hiddenDropoutProb = try c.decodeIfPresent(Double.self, forKey: .hiddenDropoutProb) ?? config.hiddenDropoutProb
        config.attentionProbsDropoutProb = try c.decodeIfPresent(Double.self, forKey: .attentionProbsDropoutProb) ?? config.attentionProbsDropoutProb
        config.maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? config.maxPositionEmbeddings
        config.typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? config.typeVocabSize
        config.initializerRange = try c.decodeIfPresent(Double.self, forKey: .initializerRange) ?? config.initializerRange
        config.layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? config.layerNormEps
        config.relativeAttention = try c.decodeIfPresent(Bool.self, forKey: .relativeAttention) ?? config.relativeAttention
        config.maxRelativePositions = try c.decodeIfPresent(Int.self, forKey: .maxRelativePositions) ?? config.maxRelativePositions
        config.positionBuckets = try c.decodeIfPresent(Int.self, forKey: .positionBuckets) ?? config.positionBuckets
        config.padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? config.padTokenId
        config.positionBiasedInput = try c.decodeIfPresent(Bool.self, forKey: .positionBiasedInput) ?? config.positionBiasedInput
        config.posAttType = try Self.decodeAttentionTypes(c) ?? config.posAttType
        config.shareAttKey = try c.decodeIfPresent(Bool.self, forKey: .shareAttKey) ?? config.shareAttKey
        config.normRelEbd = try c.decodeIfPresent(String.self, forKey: .normRelEbd) ?? config.normRelEbd
        config.embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize)
        config.attentionHeadSize = try c.decodeIfPresent(Int.self, forKey: .attentionHeadSize)
        config.convKernelSize = try c.decodeIfPresent(Int.self, forKey: .convKernelSize) ?? config.convKernelSize
        config.poolerHiddenSize = try c.decodeIfPresent(Int.self, forKey: .poolerHiddenSize)
        config.poolerDropout = try c.decodeIfPresent(Double.self, forKey: .poolerDropout) ?? config.poolerDropout
        config.poolerHiddenAct = try c.decodeIfPresent(Activation.self, forKey: .poolerHiddenAct) ?? config.poolerHiddenAct
        config.clsDropout = try c.decodeIfPresent(Double.self, forKey: .clsDropout)
        self = config
    }

    /// `pos_att_type`: null, a list of strings, or a "p2c|c2p" string
    /// (configuration_deberta_v2.py: `[x.strip() for x in pos_att_type.lower().split("|")]`).
    static func decodeAttentionTypes(_ c: KeyedDecodingContainer<CodingKeys>) throws -> [String]? {
        guard c.contains(.posAttType), try !c.decodeNil(forKey: .posAttType) else { return nil }
        if let text = try? c.decode(String.self, forKey: .posAttType) {
            return text.lowercased().split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        do {
            return try c.decode([String].self, forKey: .posAttType)
        } catch {
            throw DecodingError.typeMismatch([String].self, DecodingError.Context(
                codingPath: c.codingPath + [CodingKeys.posAttType],
                debugDescription: "expected a list of strings or a \"p2c|c2p\" string"))
        }
    }

    /// Whether the content-to-position term is on.
    public var contentToPosition: Bool { posAttType.contains("c2p") }
    /// Whether the position-to-content term is on.
    public var positionToContent: Bool { posAttType.contains("p2c") }
    /// Whether `encoder.LayerNorm` normalises the relative embeddings
    /// (`"layer_norm" in norm_rel_ebd.lower().split("|")`).
    public var normalizesRelativeEmbeddings: Bool {
        normRelEbd.lowercased().split(separator: "|").contains { $0.trimmingCharacters(in: .whitespaces) == "layer_norm" }
    }
    /// The largest relative distance: `max_relative_positions`, or `max_position_embeddings`
    /// when that is below 1.
    public var relativePositionLimit: Int { maxRelativePositions < 1 ? maxPositionEmbeddings : maxRelativePositions }
    /// Half the number of relative embedding rows (`att_span` / `pos_ebd_size`).
    public var relativeAttentionSpan: Int { positionBuckets > 0 ? positionBuckets : relativePositionLimit }
    /// The token embedding width (`embedding_size`, default `hidden_size`).
    public var tokenEmbeddingSize: Int { embeddingSize ?? hiddenSize }
    /// The width of one attention head.
    public var headSize: Int { attentionHeadSize ?? hiddenSize / max(numAttentionHeads, 1) }

    /// Checks what the implementation covers; `file` names config.json in errors.
    public func validate(file: String) throws {
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_attention_heads",
                                           reason: "hidden_size \(hiddenSize) is not a multiple of \(numAttentionHeads) heads")
        }
        guard headSize * numAttentionHeads == hiddenSize else {
            throw ModelError.unsupportedConfig(file: file, field: "attention_head_size",
                                               reason: "\(headSize) x \(numAttentionHeads) heads differs from hidden_size \(hiddenSize)")
        }
        guard convKernelSize <= 0 else {
            throw ModelError.unsupportedConfig(file: file, field: "conv_kernel_size",
                                               reason: "\(convKernelSize): the ConvLayer of deberta-v2-xlarge is not implemented (only 0)")
        }
        for (field, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                               ("max_position_embeddings", maxPositionEmbeddings), ("embedding_size", tokenEmbeddingSize)] where value <= 0 {
            throw ModelError.invalidConfig(file: file, field: field, reason: "\(value) must be positive")
        }
        guard typeVocabSize >= 0 else {
            throw ModelError.invalidConfig(file: file, field: "type_vocab_size", reason: "\(typeVocabSize) must not be negative")
        }
        if relativeAttention, positionBuckets > 0 {
            // mid = buckets / 2; make_log_bucket_position divides by mid and by log((max_position - 1) / mid).
            guard positionBuckets >= 2, relativePositionLimit - 1 > positionBuckets / 2 else {
                throw ModelError.invalidConfig(file: file, field: "position_buckets",
                                               reason: "\(positionBuckets) needs at least 2 buckets and max_relative_positions - 1 above half of them")
            }
        }
    }
}
