// DeBERTa-v2 / v3 in the model registry: config.json with `model_type` "deberta-v2", read as
// ``DebertaV2Config``, built as ``DebertaV2Model``; DebertaV2ForSequenceClassification's
// ContextPooler for the cross head
// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/deberta_v2/modeling_deberta_v2.py#L1307).
import Torch

/// DeBERTa-v2 and v3 (v3 checkpoints say `model_type` "deberta-v2"): sequences are limited by
/// `max_position_embeddings` only with absolute positions (`position_biased_input`); the encoder
/// is `deberta.*` in a classification state dict, the pooler beside it (`pooler.dense`).
public struct DebertaV2Family: EncoderFamily {
    public init() {}

    public var modelType: String { "deberta-v2" }
    public var stateDictPrefix: String { "deberta" }
    public var poolerPrefix: String { "pooler" }
    public var ignoredCheckpointTensors: @Sendable (String) -> Bool { DebertaV2Model.ignoredCheckpointTensors }

    /// `max_position_embeddings` with absolute positions; relative ones alone have no hard limit.
    public func maximumSequenceLength(_ config: DebertaV2Config) -> Int? {
        config.positionBiasedInput ? config.maxPositionEmbeddings : nil
    }

    public func withVocabularySize(atLeast count: Int, _ config: DebertaV2Config) -> DebertaV2Config {
        var config = config
        config.vocabSize = max(config.vocabSize, count)
        return config
    }

    public func makeEncoder(_ config: DebertaV2Config, path: ParameterPath, configFile: String) throws -> any TextEncoderModel {
        try DebertaV2Model(config: config, store: path.store, path: path, configFile: configFile)
    }

    /// `cls_dropout`, else `hidden_dropout_prob` (DebertaV2ForSequenceClassification).
    public func classifierDropout(_ config: DebertaV2Config) -> Double {
        config.clsDropout ?? config.hiddenDropoutProb
    }

    /// ContextPooler: dropout `pooler_dropout` on the first token, dense
    /// [pooler_hidden_size, pooler_hidden_size], `pooler_hidden_act`. The dense layer reads a
    /// hidden_size vector and its output_dim is hidden_size, so transformers itself only works
    /// when the two agree; anything else is a ``ModelError/unsupportedConfig``.
    public func sequenceClassificationHead(_ config: DebertaV2Config, configFile: String) throws -> SequenceClassificationHead {
        let pooled = config.poolerHiddenSize ?? config.hiddenSize
        guard pooled == config.hiddenSize else {
            throw ModelError.unsupportedConfig(file: configFile, field: "pooler_hidden_size",
                                               reason: "\(pooled) differs from hidden_size \(config.hiddenSize); the sequence-classification head needs them equal")
        }
        return .pooler(SequenceClassificationPooler(width: pooled, activation: config.poolerHiddenAct, inputDropout: config.poolerDropout))
    }
}

extension DebertaV2Model: TextEncoderModel {
    public var hiddenSize: Int { config.hiddenSize }
    public var vocabularySize: Int { config.vocabSize }
    public var initializerRange: Double { config.initializerRange }

    public func hiddenStates(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor?) throws -> Tensor {
        try self(inputIDs: inputIDs, attentionMask: attentionMask, tokenTypeIDs: tokenTypeIDs)
    }
}
