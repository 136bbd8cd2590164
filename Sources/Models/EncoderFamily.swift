// What arena needs to know about one Hugging Face architecture (one `model_type`): how to read
// its config.json, how to build its bare encoder, where that encoder lives in a state dict,
// which checkpoint tensors it leaves unused, how long its sequences may be, and what its
// `*ForSequenceClassification` puts between the encoder and the classifier. Every family is
// listed once in ``ModelRegistry``; docs/MODEL_FAMILIES.md says how to add one.
import Foundation
import Torch

/// One Hugging Face architecture (the encoders BERT and DeBERTa-v2/v3, the decoder Llama), keyed
/// by config.json's `model_type`. Conformances live next to their model
/// (Sources/Models/Bert/BertFamily.swift, Sources/Models/DebertaV2/DebertaV2Family.swift,
/// Sources/Models/Llama/LlamaFamily.swift) and are listed in ``ModelRegistry/families``. A
/// decoder is an "encoder" here in the sense arena uses the word: the model that turns token ids
/// into hidden states under the head.
public protocol EncoderFamily: Sendable {
    /// config.json as this family reads it, with Hugging Face's field names and defaults.
    associatedtype Config: Decodable & Sendable

    /// config.json's `model_type` ("bert", "deberta-v2", "llama").
    var modelType: String { get }
    /// The attribute holding the encoder in the family's `*ForSequenceClassification` and
    /// pretraining models, so the prefix of its parameters in their state dicts ("bert",
    /// "deberta", "model").
    var stateDictPrefix: String { get }
    /// The word embeddings' parameter inside the encoder ("embeddings.word_embeddings.weight",
    /// "embed_tokens.weight"): the rows that grow for added tokens.
    var wordEmbeddingsName: String { get }
    /// Whether the model reads its input causally (a decoder): its sequence classification
    /// reads the last token, and battles are written as one chat-style text for it.
    var isDecoder: Bool { get }
    /// Where `*ForSequenceClassification` keeps its pooler ("bert.pooler": inside the encoder, so a
    /// pretrained checkpoint may bring it; "pooler": beside it). Its `dense` layer is the cross
    /// head's pooler, and its parameters count as head parameters.
    var poolerPrefix: String { get }
    /// Tensors of a checkpoint the bare encoder leaves unused (pretraining heads, poolers,
    /// `position_ids` buffers), with or without the ``stateDictPrefix``.
    var ignoredCheckpointTensors: @Sendable (String) -> Bool { get }

    /// The longest sequence the encoder can read, nil when it has no hard limit (relative
    /// positions only).
    func maximumSequenceLength(_ config: Config) -> Int?
    /// `config` with at least `count` rows of word embeddings (added tokens).
    func withVocabularySize(atLeast count: Int, _ config: Config) -> Config
    /// The bare encoder (no pooler, no head) with fresh weights under `path`; throws
    /// ``ModelError`` naming `configFile` when the config is outside what is implemented.
    func makeEncoder(_ config: Config, path: ParameterPath, configFile: String) throws -> any TextEncoderModel
    /// The dropout before the classifier when the caller sets none (`classifier_dropout`,
    /// `cls_dropout`, falling back to `hidden_dropout_prob`).
    func classifierDropout(_ config: Config) -> Double
    /// What the family's `*ForSequenceClassification` puts between the encoder and the
    /// classifier (the cross head); throws ``ModelError`` naming `configFile` when the config
    /// makes one arena cannot build.
    func sequenceClassificationHead(_ config: Config, configFile: String) throws -> SequenceClassificationHead
}

/// The two shapes of Hugging Face's `*ForSequenceClassification`.
public enum SequenceClassificationHead: Sendable, Equatable {
    /// Encoders (BERT, DeBERTa): a pooler on the first token, dropout, then `classifier` with a
    /// bias.
    case pooler(SequenceClassificationPooler)
    /// Decoders (LlamaForSequenceClassification and its kin): `score`, a bias-free Linear, read at
    /// the token before the first `pad_token_id` of each row (transformers' rule, see
    /// ``LlamaForSequenceClassification/sequenceEnds(inputIDs:padTokenId:)``), no dropout.
    case lastToken(padTokenId: Int?)
}

/// The pooler of a `*ForSequenceClassification`: dropout on the first token's state, then a
/// square dense layer (``EncoderFamily/poolerPrefix`` + `.dense`) and an activation.
public struct SequenceClassificationPooler: Sendable, Equatable {
    /// Input and output width of the dense layer (the encoder's hidden size).
    public var width: Int
    public var activation: Activation
    /// Dropout on the first token's state before the dense layer (BERT: none).
    public var inputDropout: Double

    public init(width: Int, activation: Activation, inputDropout: Double) {
        self.width = width
        self.activation = activation
        self.inputDropout = inputDropout
    }
}

extension EncoderFamily {
    /// The longest sequence `folder`'s model can read (see ``maximumSequenceLength(_:)``).
    public func maximumSequenceLength(of folder: ModelFolder) throws -> Int? {
        maximumSequenceLength(try folder.decodeConfig(Config.self))
    }

    /// The encoder of `folder`'s config.json with fresh weights under `path` (normal with the
    /// config's initializer range, seeded by `path`'s store); `vocabularySize` enlarges the word
    /// embeddings for added tokens.
    public func makeEncoder(folder: ModelFolder, path: ParameterPath, vocabularySize: Int? = nil) throws -> any TextEncoderModel {
        var config = try folder.decodeConfig(Config.self)
        if let vocabularySize { config = withVocabularySize(atLeast: vocabularySize, config) }
        return try makeEncoder(config, path: path, configFile: folder.configFile)
    }

    /// The default dropout before the classifier for `folder`'s config.json.
    public func classifierDropout(of folder: ModelFolder) throws -> Double {
        classifierDropout(try folder.decodeConfig(Config.self))
    }

    /// The sequence-classification head for `folder`'s config.json.
    public func sequenceClassificationHead(of folder: ModelFolder) throws -> SequenceClassificationHead {
        try sequenceClassificationHead(try folder.decodeConfig(Config.self), configFile: folder.configFile)
    }
}

extension EncoderFamily {
    public var wordEmbeddingsName: String { "embeddings.word_embeddings.weight" }
    public var isDecoder: Bool { false }
}
