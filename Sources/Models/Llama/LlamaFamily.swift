// Llama in the model registry: config.json with `model_type` "llama", read as ``LlamaConfig``,
// built as ``LlamaModel``; LlamaForSequenceClassification's head for the cross architecture
// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/modeling_llama.py:
// `score` = Linear(hidden_size, num_labels, bias=False) read at the last non-padding token).
import Torch

/// Llama (Llama-2/3 and Llama-shaped checkpoints): a decoder under `model.*` in its
/// classification and causal-LM state dicts; the cross head is `score` on the last token.
public struct LlamaFamily: EncoderFamily {
    public init() {}

    public var modelType: String { "llama" }
    public var stateDictPrefix: String { "model" }
    /// No pooler: the head is `score` alone, outside the decoder.
    public var poolerPrefix: String { "score" }
    public var wordEmbeddingsName: String { "embed_tokens.weight" }
    public var isDecoder: Bool { true }
    public var ignoredCheckpointTensors: @Sendable (String) -> Bool { LlamaModel.ignoredCheckpointTensors }

    /// `max_position_embeddings`: rotary positions have no table, but the model was trained up
    /// to that length and transformers builds its rotary cache for it.
    public func maximumSequenceLength(_ config: LlamaConfig) -> Int? { config.maxPositionEmbeddings }

    public func withVocabularySize(atLeast count: Int, _ config: LlamaConfig) -> LlamaConfig {
        var config = config
        config.vocabSize = max(config.vocabSize, count)
        return config
    }

    public func makeEncoder(_ config: LlamaConfig, path: ParameterPath, configFile: String) throws -> any TextEncoderModel {
        try LlamaModel(config: config, store: path.store, path: path, configFile: configFile)
    }

    /// LlamaForSequenceClassification has no dropout before `score`.
    public func classifierDropout(_ config: LlamaConfig) -> Double { 0 }

    public func sequenceClassificationHead(_ config: LlamaConfig, configFile: String) throws -> SequenceClassificationHead {
        .lastToken(padTokenId: config.padTokenId)
    }
}

extension LlamaModel: TextEncoderModel {
    public var hiddenSize: Int { config.hiddenSize }
    public var vocabularySize: Int { config.vocabSize }
    public var initializerRange: Double { config.initializerRange }

    /// Causal attention over the real tokens; `tokenTypeIDs` must be nil (Llama has none).
    public func hiddenStates(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor?) throws -> Tensor {
        guard tokenTypeIDs == nil else { throw ModelError.invalidInput("LlamaModel takes no token type ids") }
        return try self(inputIDs: inputIDs, attentionMask: attentionMask)
    }
}
