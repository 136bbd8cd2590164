// The decoders in the model registry: Llama (and Mistral's Llama-shaped configs), Qwen2, Gemma and
// Gemma-2, each read by its own config and model (Sources/Models/{Llama,Qwen2,Gemma,Gemma2}),
// with the `*ForSequenceClassification` head transformers gives them all
// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/modeling_llama.py:
// `score` = Linear(hidden_size, num_labels, bias=False) read at the last non-padding token; Qwen2,
// Gemma and Gemma-2 (v4.42.4) copy it).
import Torch

/// A decoder config the registry can size: its vocabulary and the length it was trained to.
public protocol DecoderFamilyConfig: DecoderBackboneConfig, Decodable {
    var vocabSize: Int { get set }
    var maxPositionEmbeddings: Int { get }
}

extension LlamaConfig: DecoderFamilyConfig {}
extension Qwen2Config: DecoderFamilyConfig {}
extension GemmaConfig: DecoderFamilyConfig {}
extension Gemma2Config: DecoderFamilyConfig {}

/// One decoder architecture in the registry: `model.*` in its classification and causal-LM state
/// dicts, `model.embed_tokens.weight` the word embeddings, the cross head a bias-free `score` on
/// the last token (``SequenceClassificationHead/lastToken(padTokenId:)``), no pooler, no dropout.
public struct DecoderFamily<Config: DecoderFamilyConfig>: EncoderFamily {
    public let modelType: String
    let build: @Sendable (Config, ParameterPath, String) throws -> any TextEncoderModel
    let ignored: @Sendable (String) -> Bool

    /// `build` makes the bare decoder (validating `Config` against what is implemented, naming
    /// the config file); `ignored` names the checkpoint tensors it leaves unused.
    public init(modelType: String, ignoredCheckpointTensors: @escaping @Sendable (String) -> Bool,
                build: @escaping @Sendable (Config, ParameterPath, String) throws -> any TextEncoderModel) {
        self.modelType = modelType
        self.build = build
        self.ignored = ignoredCheckpointTensors
    }

    public var stateDictPrefix: String { "model" }
    /// No pooler: the head is `score` alone, outside the decoder.
    public var poolerPrefix: String { "score" }
    public var wordEmbeddingsName: String { "embed_tokens.weight" }
    public var isDecoder: Bool { true }
    public var ignoredCheckpointTensors: @Sendable (String) -> Bool { ignored }

    /// `max_position_embeddings`: rotary positions have no table, but the model was trained up
    /// to that length and transformers builds its rotary cache for it.
    public func maximumSequenceLength(_ config: Config) -> Int? { config.maxPositionEmbeddings }

    public func withVocabularySize(atLeast count: Int, _ config: Config) -> Config {
        var config = config
        config.vocabSize = max(config.vocabSize, count)
        return config
    }

    public func makeEncoder(_ config: Config, path: ParameterPath, configFile: String) throws -> any TextEncoderModel {
        try build(config, path, configFile)
    }

    /// `*ForSequenceClassification` of a decoder has no dropout before `score`.
    public func classifierDropout(_ config: Config) -> Double { 0 }

    public func sequenceClassificationHead(_ config: Config, configFile: String) throws -> SequenceClassificationHead {
        .lastToken(padTokenId: config.padTokenId)
    }
}

/// Llama-2/3 and Llama-shaped checkpoints (``LlamaModel``).
public typealias LlamaFamily = DecoderFamily<LlamaConfig>

extension DecoderFamily where Config == LlamaConfig {
    /// `model_type` "llama".
    public static var llama: LlamaFamily {
        LlamaFamily(modelType: "llama", ignoredCheckpointTensors: LlamaModel.ignoredCheckpointTensors) { config, path, file in
            try LlamaModel(config: config, store: path.store, path: path, configFile: file)
        }
    }

    /// `model_type` "mistral": Llama's weights and function when `sliding_window` is null
    /// (MistralModel windows its causal mask otherwise, which is refused by name).
    public static var mistral: LlamaFamily {
        LlamaFamily(modelType: "mistral", ignoredCheckpointTensors: LlamaModel.ignoredCheckpointTensors) { config, path, file in
            try DecoderModelKind.refuseMistralSlidingWindow(configFile: file)
            return try LlamaModel(config: config, store: path.store, path: path, configFile: file)
        }
    }
}

extension DecoderFamily where Config == Qwen2Config {
    /// `model_type` "qwen2" (``Qwen2Model``).
    public static var qwen2: DecoderFamily<Qwen2Config> {
        DecoderFamily(modelType: "qwen2", ignoredCheckpointTensors: Qwen2Model.ignoredCheckpointTensors) { config, path, file in
            try Qwen2Model(config: config, store: path.store, path: path, configFile: file)
        }
    }
}

extension DecoderFamily where Config == GemmaConfig {
    /// `model_type` "gemma" (``GemmaModel``).
    public static var gemma: DecoderFamily<GemmaConfig> {
        DecoderFamily(modelType: "gemma", ignoredCheckpointTensors: GemmaModel.ignoredCheckpointTensors) { config, path, file in
            try GemmaModel(config: config, store: path.store, path: path, configFile: file)
        }
    }
}

extension DecoderFamily where Config == Gemma2Config {
    /// `model_type` "gemma2" (``Gemma2Model``).
    public static var gemma2: DecoderFamily<Gemma2Config> {
        DecoderFamily(modelType: "gemma2", ignoredCheckpointTensors: Gemma2Model.ignoredCheckpointTensors) { config, path, file in
            try Gemma2Model(config: config, store: path.store, path: path, configFile: file)
        }
    }
}

/// What every decoder gives the heads, from its ``DecoderBackbone`` conformance.
extension TextEncoderModel where Self: DecoderBackbone, Self.Config: DecoderFamilyConfig {
    public var hiddenSize: Int { config.hiddenSize }
    public var vocabularySize: Int { config.vocabSize }
    public var initializerRange: Double { config.initializerRange }

    /// Causal attention over the real tokens; `tokenTypeIDs` must be nil (decoders have none).
    public func hiddenStates(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor?) throws -> Tensor {
        guard tokenTypeIDs == nil else { throw ModelError.invalidInput("\(Self.self) takes no token type ids") }
        return try self(inputIDs: inputIDs, attentionMask: attentionMask)
    }
}

extension LlamaModel: TextEncoderModel {}
extension Qwen2Model: TextEncoderModel {}
extension GemmaModel: TextEncoderModel {}
extension Gemma2Model: TextEncoderModel {}
