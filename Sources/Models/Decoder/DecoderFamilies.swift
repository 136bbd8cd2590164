// The decoder families arena implements, by config.json's `model_type`, for the model registry to
// build a sequence classifier from a model folder without a `switch` per family: one
// ``DecoderModelKind`` case and one line in ``DecoderModelKind/sequenceClassifier(configFile:store:labelCount:)``
// per family. (The registry itself, ModelRegistry.swift, does not use it yet.)
import Foundation
import Torch

/// A decoder with a score head read at the last non-padding token: the *ForSequenceClassification
/// classes of Llama, Qwen2, Gemma and Gemma-2.
public protocol DecoderSequenceClassifier: AnyObject {
    /// The parameters, named as the checkpoint's (`model.*`, `score.weight`).
    var store: ParameterStore { get }
    /// The head's outputs (transformers' `num_labels`).
    var labelCount: Int { get }
    /// Logits [batch, labelCount] for `inputIDs` [batch, length] (int64) and `attentionMask`
    /// (1 = token, 0 = padding, on either side).
    func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor
}

extension LlamaForSequenceClassification: DecoderSequenceClassifier {}

/// A decoder family by config.json's `model_type`.
public enum DecoderModelKind: String, CaseIterable, Sendable {
    case llama
    /// Mistral's config and weights are Llama's (no biases); its `sliding_window` is refused
    /// unless null (``sequenceClassifier(configFile:store:labelCount:)``).
    case mistral
    case qwen2
    case gemma
    case gemma2

    /// The kind named by `file`'s `model_type`; ``ModelError/unknownModelType`` for any other.
    public static func read(configFile file: String) throws -> DecoderModelKind {
        struct ModelType: Decodable {
            var modelType: String?
            enum CodingKeys: String, CodingKey { case modelType = "model_type" }
        }
        let modelType = try readDecoderConfig(ModelType.self, file: file).modelType ?? "(none)"
        guard let kind = DecoderModelKind(rawValue: modelType) else {
            throw ModelError.unknownModelType(file: file, modelType: modelType, supported: allCases.map(\.rawValue))
        }
        return kind
    }

    /// The *ForSequenceClassification of this kind, built from `configFile` under the store's root
    /// (`model.*`, `score.weight`), parameters freshly initialised: load a checkpoint into `store`
    /// with ``ignoredCheckpointTensors`` as the allowed unused names.
    public func sequenceClassifier(configFile: String, store: ParameterStore, labelCount: Int) throws -> any DecoderSequenceClassifier {
        switch self {
        case .llama:
            return try LlamaForSequenceClassification(config: LlamaConfig.read(file: configFile), store: store,
                                                      labelCount: labelCount, configFile: configFile)
        case .mistral:
            try Self.refuseMistralSlidingWindow(configFile: configFile)
            return try LlamaForSequenceClassification(config: LlamaConfig.read(file: configFile), store: store,
                                                      labelCount: labelCount, configFile: configFile)
        case .qwen2:
            return try Qwen2ForSequenceClassification(config: Qwen2Config.read(file: configFile), store: store,
                                                      labelCount: labelCount, configFile: configFile)
        case .gemma:
            return try GemmaForSequenceClassification(config: GemmaConfig.read(file: configFile), store: store,
                                                      labelCount: labelCount, configFile: configFile)
        case .gemma2:
            return try Gemma2ForSequenceClassification(config: Gemma2Config.read(file: configFile), store: store,
                                                       labelCount: labelCount, configFile: configFile)
        }
    }

    /// MistralModel (v4.40.2) windows its causal mask with `sliding_window`, which LlamaModel does
    /// not: only configs without one are Llama's function; others are refused by name.
    static func refuseMistralSlidingWindow(configFile: String) throws {
        struct Window: Decodable {
            var slidingWindow: Int?
            enum CodingKeys: String, CodingKey { case slidingWindow = "sliding_window" }
        }
        if let window = try readDecoderConfig(Window.self, file: configFile).slidingWindow {
            throw ModelError.unsupportedConfig(file: configFile, field: "sliding_window",
                                               reason: "Mistral's sliding window (\(window)) is not implemented (only null)")
        }
    }

    /// Checkpoint tensors the classifier does not use, allowed as unused when loading: a causal
    /// LM's `lm_head.weight` and old `rotary_emb.inv_freq` buffers (the same for every family).
    public var ignoredCheckpointTensors: @Sendable (String) -> Bool {
        switch self {
        case .llama, .mistral: return LlamaModel.ignoredCheckpointTensors
        case .qwen2: return Qwen2Model.ignoredCheckpointTensors
        case .gemma: return GemmaModel.ignoredCheckpointTensors
        case .gemma2: return Gemma2Model.ignoredCheckpointTensors
        }
    }
}
