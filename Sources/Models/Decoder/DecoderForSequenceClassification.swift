// The *ForSequenceClassification of the decoder families (LlamaForSequenceClassification of
// transformers v4.40.2, https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/modeling_llama.py,
// copied unchanged into Qwen2ForSequenceClassification and GemmaForSequenceClassification of v4.40.2
// and Gemma2ForSequenceClassification of v4.42.4): `model` = the family's bare decoder, `score` =
// Linear(hidden_size, num_labels, bias=False) on every position, and the logits taken at one
// position per row. Parameter names are the checkpoint's (`model.embed_tokens.weight`, ...,
// `model.norm.weight`, `score.weight`). Each family names its classifier with a type alias
// (`Qwen2ForSequenceClassification = DecoderForSequenceClassification<Qwen2Model>`).
import Torch

/// What a score head needs of a family's config.json (the fields of the same names).
public protocol DecoderBackboneConfig: Sendable {
    var hiddenSize: Int { get }
    var padTokenId: Int? { get }
    var initializerRange: Double { get }
}

/// A family's bare decoder (LlamaModel, Qwen2Model, GemmaModel, Gemma2Model): built from its config
/// under a parameter path, last hidden states [batch, length, hidden_size] from ids and a padding mask.
public protocol DecoderBackbone: AnyObject {
    associatedtype Config: DecoderBackboneConfig
    var config: Config { get }
    /// Activation checkpointing per decoder layer while training.
    var gradientCheckpointing: Bool { get set }
    init(config: Config, store: ParameterStore, path: ParameterPath?, configFile: String) throws
    func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor
}

extension LlamaConfig: DecoderBackboneConfig {}
extension LlamaModel: DecoderBackbone {}

/// The score head of the *ForSequenceClassification decoders (LlamaForSequenceClassification's,
/// copied into Qwen2, Gemma and Gemma-2): `score` = Linear(hidden_size, num_labels, bias=False)
/// on the last hidden states, read at one position per row by transformers' rule
/// (``LlamaForSequenceClassification/sequenceEnds(inputIDs:padTokenId:)``).
public struct DecoderScoreHead {
    let score: Linear
    public let labelCount: Int
    let padTokenId: Int?

    /// Check `labelCount` with ``validate(labelCount:configFile:)`` before building the model.
    public init(_ path: ParameterPath, hiddenSize: Int, labelCount: Int, padTokenId: Int?, std: Double) throws {
        score = try Linear(path, inputSize: hiddenSize, outputSize: labelCount, bias: false, std: std)
        self.labelCount = labelCount
        self.padTokenId = padTokenId
    }

    /// Refuses a head with no outputs, naming `num_labels` of `configFile`.
    public static func validate(labelCount: Int, configFile: String) throws {
        guard labelCount > 0 else {
            throw ModelError.invalidConfig(file: configFile, field: "num_labels", reason: "must be positive, not \(labelCount)")
        }
    }

    /// Logits [batch, labelCount] from `hidden` [batch, length, hidden_size] and `inputIDs` [batch, length].
    public func callAsFunction(_ hidden: Tensor, inputIDs: Tensor) throws -> Tensor {
        let logits = try score(hidden)
        let batch = try inputIDs.size(0)
        let positions = try LlamaForSequenceClassification.sequenceEnds(inputIDs: inputIDs, padTokenId: padTokenId)
        let index = try positions.to(try logits.device).view([batch, 1, 1]).expand([batch, 1, labelCount])
        return try logits.gather(dim: 1, index: index).squeeze(1)
    }
}

/// A family's decoder with the score head: Qwen2ForSequenceClassification,
/// GemmaForSequenceClassification, Gemma2ForSequenceClassification (LlamaForSequenceClassification
/// is its own class, older, with the same function).
public final class DecoderForSequenceClassification<Model: DecoderBackbone>: DecoderSequenceClassifier {
    public let config: Model.Config
    public let store: ParameterStore
    public let model: Model
    let head: DecoderScoreHead

    /// `labelCount`: transformers' `num_labels` (3 for the preference task). Built under `path`
    /// (default: the store's root) as `model.*` and `score.*`, in the Hugging Face module order.
    public init(config: Model.Config, store: ParameterStore, labelCount: Int = 3, path: ParameterPath? = nil,
                configFile: String = "config.json") throws {
        try DecoderScoreHead.validate(labelCount: labelCount, configFile: configFile)
        let root = path ?? store.root
        model = try Model(config: config, store: store, path: root.child("model"), configFile: configFile)
        head = try DecoderScoreHead(root.child("score"), hiddenSize: config.hiddenSize, labelCount: labelCount,
                                    padTokenId: config.padTokenId, std: config.initializerRange)
        self.config = config
        self.store = store
    }

    public var labelCount: Int { head.labelCount }

    /// Logits [batch, labelCount] for `inputIDs` [batch, length] (int64) and `attentionMask`.
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor {
        try head(model(inputIDs: inputIDs, attentionMask: attentionMask), inputIDs: inputIDs)
    }
}
