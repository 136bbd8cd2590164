// Mirrors LlamaForSequenceClassification of transformers v4.40.2
// (https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/modeling_llama.py):
// `model` = LlamaModel, `score` = Linear(hidden_size, num_labels, bias=False) on every position,
// and the logits taken at one position per row. Parameter names are the checkpoint's
// (`model.embed_tokens.weight`, ..., `model.norm.weight`, `score.weight`).
import Torch

/// A Llama decoder with a linear score head read at the last non-padding token of each row.
public final class LlamaForSequenceClassification {
    public let config: LlamaConfig
    public let store: ParameterStore
    public let model: LlamaModel
    public let labelCount: Int
    let head: DecoderScoreHead

    /// `labelCount`: transformers' `num_labels` (the head's outputs), 3 for the preference task.
    /// The model is built under `path` (default: the store's root) as `model.*` and `score.*`.
    public init(config: LlamaConfig, store: ParameterStore, labelCount: Int = 3, path: ParameterPath? = nil,
                configFile: String = "config.json") throws {
        try DecoderScoreHead.validate(labelCount: labelCount, configFile: configFile)
        let root = path ?? store.root
        // The same creation order as the Hugging Face module tree (model, score).
        model = try LlamaModel(config: config, store: store, path: root.child("model"), configFile: configFile)
        head = try DecoderScoreHead(root.child("score"), hiddenSize: config.hiddenSize, labelCount: labelCount,
                                    padTokenId: config.padTokenId, std: config.initializerRange)
        self.config = config
        self.store = store
        self.labelCount = labelCount
    }

    /// Logits [batch, labelCount] for `inputIDs` [batch, length] (int64) and `attentionMask`.
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor {
        try head(model(inputIDs: inputIDs, attentionMask: attentionMask), inputIDs: inputIDs)
    }

    /// The position read in each row [batch] (int64), by transformers' rule, mirrored exactly:
    /// with `pad_token_id` set, `(argmax(input_ids == pad_token_id) - 1) % length`, i.e. the
    /// token before the *first* padding id. It looks at the ids only, not the attention mask:
    /// - right padding: the last real token (if the pad id also occurs as a real token earlier,
    ///   the token before that occurrence, as in transformers);
    /// - no padding in a row: argmax is 0, so -1 % length = the last position;
    /// - left padding: the first pad is at 0, so again the last position, which is the last real
    ///   token there (a left-padded row whose real tokens contain the pad id is read before it).
    /// Without `pad_token_id` transformers reads the last position and refuses batches of more
    /// than one row ("Cannot handle batch sizes > 1 if no padding token is defined."); so does this.
    public static func sequenceEnds(inputIDs: Tensor, padTokenId: Int?) throws -> Tensor {
        let shape = try inputIDs.shape
        guard shape.count == 2, shape[1] > 0 else {
            throw ModelError.invalidInput("LlamaForSequenceClassification: input ids \(shape) must be [batch, length > 0]")
        }
        guard let padTokenId else {
            guard shape[0] == 1 else {
                throw ModelError.invalidInput("LlamaForSequenceClassification: cannot handle batch sizes > 1 if no padding token is defined")
            }
            return try Tensor.full([1], value: Double(shape[1] - 1), dtype: .int64, device: inputIDs.device)
        }
        let firstPad = try inputIDs.eq(Double(padTokenId)).to(.int64).argmax(dim: -1)
        return try (firstPad - 1.0).remainder(Double(shape[1]))
    }
}
