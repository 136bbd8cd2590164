// Mirrors https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/bert/modeling_bert.py
// (attention through the fused scaled_dot_product_attention, as BertSdpaSelfAttention of later
// versions, except when training with attention dropout): one type per Hugging Face block,
// parameter names equal to the checkpoint's.
import Torch

/// BertEmbeddings: word + absolute position + token type embeddings, LayerNorm, dropout.
public struct BertEmbeddings {
    let wordEmbeddings: Embedding
    let positionEmbeddings: Embedding
    let tokenTypeEmbeddings: Embedding
    let layerNorm: LayerNorm
    let path: ParameterPath
    let dropout: Double

    public init(_ path: ParameterPath, config: BertConfig) throws {
        let std = config.initializerRange
        wordEmbeddings = try Embedding(path.child("word_embeddings"), count: config.vocabSize, width: config.hiddenSize,
                                       paddingIndex: config.padTokenId, std: std)
        positionEmbeddings = try Embedding(path.child("position_embeddings"), count: config.maxPositionEmbeddings, width: config.hiddenSize, std: std)
        tokenTypeEmbeddings = try Embedding(path.child("token_type_embeddings"), count: config.typeVocabSize, width: config.hiddenSize, std: std)
        layerNorm = try LayerNorm(path.child("LayerNorm"), size: config.hiddenSize, eps: config.layerNormEps)
        self.path = path
        dropout = config.hiddenDropoutProb
    }

    /// `inputIDs`, `tokenTypeIDs`: [batch, length] int64.
    public func callAsFunction(inputIDs: Tensor, tokenTypeIDs: Tensor) throws -> Tensor {
        let length = try inputIDs.size(1)
        let positions = try Tensor.arange(0, Double(length), device: inputIDs.device).unsqueeze(0)
        var x = try wordEmbeddings(inputIDs) + tokenTypeEmbeddings(tokenTypeIDs)
        x = try x + positionEmbeddings(positions)
        return try path.dropout(layerNorm(x), probability: dropout)
    }
}

/// BertSelfAttention (absolute positions): scaled dot-product attention over `heads` heads.
public struct BertSelfAttention {
    let query, key, value: Linear
    let heads: Int
    let headSize: Int
    let path: ParameterPath
    let dropout: Double

    public init(_ path: ParameterPath, config: BertConfig) throws {
        let h = config.hiddenSize
        query = try Linear(path.child("query"), inputSize: h, outputSize: h, std: config.initializerRange)
        key = try Linear(path.child("key"), inputSize: h, outputSize: h, std: config.initializerRange)
        value = try Linear(path.child("value"), inputSize: h, outputSize: h, std: config.initializerRange)
        heads = config.numAttentionHeads
        headSize = h / config.numAttentionHeads
        self.path = path
        dropout = config.attentionProbsDropoutProb
    }

    /// [batch, length, hidden] -> [batch, heads, length, headSize]
    func splitHeads(_ x: Tensor) throws -> Tensor {
        let shape = try x.shape
        return try x.view([shape[0], shape[1], heads, headSize]).permute(0, 2, 1, 3)
    }

    /// `mask`: the additive [batch, 1, 1, length] mask of ``extendedAttentionMask(_:dtype:)``.
    ///
    /// Without attention dropout (inference, evaluation) computed as transformers'
    /// `BertSdpaSelfAttention` does (v4.41+, the default there with torch 2.x): one fused
    /// `scaled_dot_product_attention` call, the same function as the eager
    /// softmax(q kᵀ/√d + mask) v up to rounding, without materialising the attention weights.
    /// Training with attention dropout takes the eager path of v4.40.2 instead: libtorch 2.15 has
    /// no fused CPU kernel with dropout, and its fallback (the math kernel, which computes
    /// bfloat16 inputs in float32) is slower than eager attention under bfloat16 autocast
    /// (docs/BENCHMARKS.md, issue 12: 113 vs 80 ms forward + backward per MiniLM layer, 1 thread).
    /// Both draw the same dropout masks from the generator.
    public func callAsFunction(_ hidden: Tensor, mask: Tensor) throws -> Tensor {
        let q = try splitHeads(query(hidden))
        let k = try splitHeads(key(hidden))
        let v = try splitHeads(value(hidden))
        let attended: Tensor
        if path.store.training && dropout > 0 {
            let scores = try q.matmul(k.transpose(-1, -2)) / Double(headSize).squareRoot() + mask
            attended = try path.dropout(scores.softmax(dim: -1), probability: dropout).matmul(v)
        } else {
            // Under autocast q, k and v are bfloat16 while the mask was built in float32: the
            // fused kernel wants an additive mask of the query's dtype.
            let typedMask = try mask.dtype == q.dtype ? mask : mask.to(q.dtype)
            attended = try Tensor.scaledDotProductAttention(query: q, key: k, value: v, mask: typedMask, dropout: 0)
        }
        let context = try attended.permute(0, 2, 1, 3).contiguous()
        let shape = try context.shape
        return try context.view([shape[0], shape[1], heads * headSize])
    }
}

/// BertSelfOutput / BertOutput: dense, dropout, residual, LayerNorm.
public struct BertResidualOutput {
    let body: DenseResidualLayerNorm

    public init(_ path: ParameterPath, inputSize: Int, config: BertConfig) throws {
        body = try DenseResidualLayerNorm(path, inputSize: inputSize, outputSize: config.hiddenSize, eps: config.layerNormEps,
                                          dropout: config.hiddenDropoutProb, std: config.initializerRange)
    }

    public func callAsFunction(_ x: Tensor, residual: Tensor) throws -> Tensor {
        try body(x, residual: residual)
    }
}

/// BertLayer: attention (self + output), intermediate (dense + activation), output.
public struct BertLayer {
    let attention: BertSelfAttention
    let attentionOutput: BertResidualOutput
    let intermediate: Linear
    let activation: Activation
    let output: BertResidualOutput

    public init(_ path: ParameterPath, config: BertConfig) throws {
        attention = try BertSelfAttention(path.child("attention").child("self"), config: config)
        attentionOutput = try BertResidualOutput(path.child("attention").child("output"), inputSize: config.hiddenSize, config: config)
        intermediate = try Linear(path.child("intermediate").child("dense"), inputSize: config.hiddenSize,
                                  outputSize: config.intermediateSize, std: config.initializerRange)
        activation = config.hiddenAct
        output = try BertResidualOutput(path.child("output"), inputSize: config.intermediateSize, config: config)
    }

    public func callAsFunction(_ hidden: Tensor, mask: Tensor) throws -> Tensor {
        let attended = try attentionOutput(attention(hidden, mask: mask), residual: hidden)
        return try output(activation(intermediate(attended)), residual: attended)
    }
}

/// BertModel without the pooler (`add_pooling_layer=False`): the encoder whose last hidden
/// states the arena heads read. A checkpoint's `pooler.*` tensors are allowed as unused.
public final class BertModel {
    public let config: BertConfig
    public let store: ParameterStore
    let embeddings: BertEmbeddings
    let layers: [BertLayer]

    public init(config: BertConfig, store: ParameterStore, path: ParameterPath? = nil, configFile: String = "config.json") throws {
        try config.validate(file: configFile)
        self.config = config
        self.store = store
        let root = path ?? store.root
        embeddings = try BertEmbeddings(root.child("embeddings"), config: config)
        layers = try (0..<config.numHiddenLayers).map { try BertLayer(root.child("encoder").child("layer")[$0], config: config) }
    }

    /// Last hidden states [batch, length, hidden] for `inputIDs` [batch, length] (int64),
    /// `attentionMask` (1 = token, 0 = padding) and `tokenTypeIDs` (zeros when nil).
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor? = nil) throws -> Tensor {
        let types = try tokenTypeIDs ?? Tensor.zeros(try inputIDs.shape, dtype: .int64, device: try inputIDs.device)
        var hidden = try embeddings(inputIDs: inputIDs, tokenTypeIDs: types)
        let mask = try extendedAttentionMask(attentionMask, dtype: hidden.dtype)
        for layer in layers { hidden = try layer(hidden, mask: mask) }
        return hidden
    }

    /// Tensors of a BERT checkpoint this encoder does not use: the pooler, pretraining heads
    /// and the old `position_ids` buffer.
    public static let ignoredCheckpointTensors: @Sendable (String) -> Bool = { name in
        name.hasPrefix("pooler.") || name.hasPrefix("bert.pooler.") || name.hasPrefix("cls.")
            || name.hasSuffix("embeddings.position_ids")
    }
}
