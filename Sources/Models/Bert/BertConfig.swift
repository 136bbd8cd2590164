import Foundation

/// BERT's `config.json`, with Hugging Face's field names and defaults
/// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/bert/configuration_bert.py).
public struct BertConfig: Decodable, Equatable, Sendable {
    public var vocabSize = 30522
    public var hiddenSize = 768
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var intermediateSize = 3072
    public var hiddenAct: Activation = .gelu
    public var hiddenDropoutProb = 0.1
    public var attentionProbsDropoutProb = 0.1
    public var maxPositionEmbeddings = 512
    public var typeVocabSize = 2
    public var initializerRange = 0.02
    public var layerNormEps = 1e-12
    public var padTokenId = 0
    public var positionEmbeddingType = "absolute"
    /// Dropout before the sequence-classification head (`classifier_dropout`; null: hidden_dropout_prob).
    public var classifierDropout: Double?

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
        case padTokenId = "pad_token_id"
        case positionEmbeddingType = "position_embedding_type"
        case classifierDropout = "classifier_dropout"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = BertConfig()
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
        config.padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? config.padTokenId
        config.positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? config.positionEmbeddingType
        config.classifierDropout = try c.decodeIfPresent(Double.self, forKey: .classifierDropout)
        self = config
    }

    /// Checks what the implementation covers; `file` names config.json in errors.
    public func validate(file: String) throws {
        guard positionEmbeddingType == "absolute" else {
            throw ModelError.unsupportedConfig(file: file, field: "position_embedding_type",
                                               reason: "\"\(positionEmbeddingType)\" is not implemented (only \"absolute\")")
        }
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ModelError.invalidConfig(file: file, field: "num_attention_heads",
                                           reason: "hidden_size \(hiddenSize) is not a multiple of \(numAttentionHeads) heads")
        }
    }
}
