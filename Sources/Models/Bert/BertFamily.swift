// BERT in the model registry: config.json with `model_type` "bert", read as ``BertConfig``, built
// as ``BertModel``; BertForSequenceClassification's pooler for the cross head
// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/bert/modeling_bert.py#L1575).
import Torch

/// BERT (and BERT-shaped checkpoints such as MiniLM): absolute positions, so sequences are at
/// most `max_position_embeddings` long; the encoder is `bert.*` in a classification state dict,
/// with the pooler inside it (`bert.pooler.dense`: dense + tanh on the first token).
public struct BertFamily: EncoderFamily {
    public init() {}

    public var modelType: String { "bert" }
    public var stateDictPrefix: String { "bert" }
    public var poolerPrefix: String { "bert.pooler" }
    public var ignoredCheckpointTensors: @Sendable (String) -> Bool { BertModel.ignoredCheckpointTensors }

    public func maximumSequenceLength(_ config: BertConfig) -> Int? { config.maxPositionEmbeddings }

    public func withVocabularySize(atLeast count: Int, _ config: BertConfig) -> BertConfig {
        var config = config
        config.vocabSize = max(config.vocabSize, count)
        return config
    }

    public func makeEncoder(_ config: BertConfig, path: ParameterPath, configFile: String) throws -> any TextEncoderModel {
        try BertModel(config: config, store: path.store, path: path, configFile: configFile)
    }

    /// `classifier_dropout`, else `hidden_dropout_prob` (BertForSequenceClassification).
    public func classifierDropout(_ config: BertConfig) -> Double {
        config.classifierDropout ?? config.hiddenDropoutProb
    }

    /// BertPooler: dense [hidden, hidden] and tanh on the first token, no dropout before it.
    public func sequenceClassificationHead(_ config: BertConfig, configFile: String) throws -> SequenceClassificationHead {
        .pooler(SequenceClassificationPooler(width: config.hiddenSize, activation: .tanh, inputDropout: 0))
    }
}

extension BertModel: TextEncoderModel {
    public var hiddenSize: Int { config.hiddenSize }
    public var vocabularySize: Int { config.vocabSize }
    public var initializerRange: Double { config.initializerRange }

    public func hiddenStates(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor?) throws -> Tensor {
        try self(inputIDs: inputIDs, attentionMask: attentionMask, tokenTypeIDs: tokenTypeIDs)
    }
}
