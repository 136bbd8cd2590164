// Mirrors https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/deberta_v2/modeling_deberta_v2.py
// (DebertaV2Model without z_steps or ConvLayer): one type per Hugging Face block, parameter
// names equal to the checkpoint's. The relative positions are built once per forward for the
// batch's length and shared by every layer; everything runs as tensor ops.
import Torch

/// DebertaV2Embeddings: word embeddings, plus absolute position embeddings when
/// `position_biased_input`, plus token type embeddings when `type_vocab_size` > 0; `embed_proj`
/// when `embedding_size` differs from `hidden_size`; LayerNorm; padding rows zeroed; dropout.
public struct DebertaV2Embeddings {
    let wordEmbeddings: Embedding
    let positionEmbeddings: Embedding?
    let tokenTypeEmbeddings: Embedding?
    let embedProjection: Linear?
    let layerNorm: LayerNorm
    let path: ParameterPath
    let dropout: Double

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        let std = config.initializerRange
        let width = config.tokenEmbeddingSize
        wordEmbeddings = try Embedding(path.child("word_embeddings"), count: config.vocabSize, width: width,
                                       paddingIndex: config.padTokenId, std: std)
        positionEmbeddings = config.positionBiasedInput
            ? try Embedding(path.child("position_embeddings"), count: config.maxPositionEmbeddings, width: width, std: std) : nil
        tokenTypeEmbeddings = config.typeVocabSize > 0
            ? try Embedding(path.child("token_type_embeddings"), count: config.typeVocabSize, width: width, std: std) : nil
        embedProjection = width != config.hiddenSize
            ? try Linear(path.child("embed_proj"), inputSize: width, outputSize: config.hiddenSize, bias: false, std: std) : nil
        layerNorm = try LayerNorm(path.child("LayerNorm"), size: config.hiddenSize, eps: config.layerNormEps)
        self.path = path
        dropout = config.hiddenDropoutProb
    }

    /// `inputIDs`, `tokenTypeIDs`, `mask`: [batch, length]; returns [batch, length, hidden] with
    /// the rows where `mask` is 0 set to zero.
    public func callAsFunction(inputIDs: Tensor, tokenTypeIDs: Tensor, mask: Tensor) throws -> Tensor {
        var x = try wordEmbeddings(inputIDs)
        if let positionEmbeddings {
            let length = try inputIDs.size(1)
            x = try x + positionEmbeddings(Tensor.arange(0, Double(length), device: inputIDs.device).unsqueeze(0))
        }
        if let tokenTypeEmbeddings { x = try x + tokenTypeEmbeddings(tokenTypeIDs) }
        if let embedProjection { x = try embedProjection(x) }
        x = try layerNorm(x)
        x = try x * mask.unsqueeze(2).to(x.dtype)
        return try path.dropout(x, probability: dropout)
    }
}

/// The gather indices of the relative attention terms for one sequence length ([length, length]
/// int64, rows are queries): built once per forward by ``DebertaV2Encoder`` and shared by the layers.
public struct RelativePositionIndices {
    /// `c2p_pos`: clamp(δ(i, j) + span, 0, 2 span - 1), the relative embedding row for query i, key j.
    public let contentToPosition: Tensor
    /// `p2c_pos`: clamp(-δ(i, j) + span, 0, 2 span - 1).
    public let positionToContent: Tensor

    /// `build_relative_position`: δ(i, j) = i - j, log-bucketed when `bucketSize` and
    /// `maxPosition` are positive ([length, length] int64).
    public static func relativePositions(length: Int, bucketSize: Int, maxPosition: Int, device: Device = .cpu) throws -> Tensor {
        let ids = try Tensor.arange(0, Double(length), device: device)
        var relative = try ids.unsqueeze(1) - ids.unsqueeze(0)
        if bucketSize > 0, maxPosition > 0 {
            relative = try logBucketPositions(relative, bucketSize: bucketSize, maxPosition: maxPosition).to(.int64)
        }
        return relative
    }

    /// `make_log_bucket_position`: distances below half the buckets are kept, longer ones are
    /// mapped logarithmically up to `maxPosition`. The float32 ops are those of Hugging Face, in
    /// its order, so that `ceil` gives the same buckets.
    static func logBucketPositions(_ relative: Tensor, bucketSize: Int, maxPosition: Int) throws -> Tensor {
        let sign = try relative.sign()
        let mid = Double(bucketSize / 2)
        let near = try relative.lt(mid).logicalAnd(relative.gt(-mid))
        let absolute = try Tensor.where(near, Tensor.scalar(mid - 1, dtype: relative.dtype, device: relative.device), relative.abs())
        let logMaximum = try Tensor.scalar((Double(maxPosition) - 1) / mid, dtype: .float32, device: relative.device).log()
        let logPositions = try ((absolute / mid).log() / logMaximum * (mid - 1)).ceil() + mid
        return try Tensor.where(absolute.le(mid), relative.to(logPositions.dtype), logPositions * sign)
    }

    /// The indices for `length` tokens with `span` = `position_buckets` (or the relative
    /// position limit) and the config's bucketing.
    public init(length: Int, config: DebertaV2Config, device: Device = .cpu) throws {
        let relative = try Self.relativePositions(length: length, bucketSize: config.positionBuckets,
                                                  maxPosition: config.relativePositionLimit, device: device)
        let span = Double(config.relativeAttentionSpan)
        // The shim's clamp passes its bounds as doubles, which promotes an int64 tensor to float.
        contentToPosition = try (relative + span).clamp(min: 0, max: 2 * span - 1).to(.int64)
        positionToContent = try (span - relative).clamp(min: 0, max: 2 * span - 1).to(.int64)
    }
}

/// DisentangledSelfAttention: content-to-content attention plus the content-to-position
/// ("c2p") and position-to-content ("p2c") terms over the relative embeddings, all scaled by
/// sqrt(head size x (1 + number of terms)); masked with XSoftmax's semantics.
public struct DisentangledSelfAttention {
    let queryProjection, keyProjection, valueProjection: Linear
    /// `pos_key_proj` / `pos_query_proj`: only when the keys are not shared.
    let positionKeyProjection, positionQueryProjection: Linear?
    let heads, headSize: Int
    let relativeAttention, contentToPosition, positionToContent, shareKeys: Bool
    let span: Int
    let scale: Double
    let path: ParameterPath
    let dropout, positionDropout: Double

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        let h = config.hiddenSize, std = config.initializerRange
        heads = config.numAttentionHeads
        headSize = config.headSize
        let all = heads * headSize
        queryProjection = try Linear(path.child("query_proj"), inputSize: h, outputSize: all, std: std)
        keyProjection = try Linear(path.child("key_proj"), inputSize: h, outputSize: all, std: std)
        valueProjection = try Linear(path.child("value_proj"), inputSize: h, outputSize: all, std: std)
        relativeAttention = config.relativeAttention
        contentToPosition = config.contentToPosition
        positionToContent = config.positionToContent
        shareKeys = config.shareAttKey
        let separate = relativeAttention && !shareKeys
        positionKeyProjection = separate && contentToPosition
            ? try Linear(path.child("pos_key_proj"), inputSize: h, outputSize: all, std: std) : nil
        positionQueryProjection = separate && positionToContent
            ? try Linear(path.child("pos_query_proj"), inputSize: h, outputSize: all, std: std) : nil
        span = config.relativeAttentionSpan
        // scale_factor counts the terms in pos_att_type even without relative attention, as
        // Hugging Face does; the float32 square root matches its torch.sqrt.
        let factor = 1 + (contentToPosition ? 1 : 0) + (positionToContent ? 1 : 0)
        scale = Double(Float(headSize * factor).squareRoot())
        self.path = path
        dropout = config.attentionProbsDropoutProb
        positionDropout = config.hiddenDropoutProb
    }

    /// [batch, length, heads x headSize] -> [batch, heads, length, headSize]
    func splitHeads(_ x: Tensor) throws -> Tensor {
        let shape = try x.shape
        // Contiguous once, as transpose_for_scores does: each later matmul would otherwise copy
        // the permuted view again.
        return try x.view([shape[0], shape[1], heads, headSize]).permute(0, 2, 1, 3).contiguous()
    }

    /// [2 span, heads x headSize] -> [heads, 2 span, headSize], broadcast over the batch.
    func splitPositionHeads(_ x: Tensor) throws -> Tensor {
        try x.view([try x.size(0), heads, headSize]).permute(1, 0, 2)
    }

    /// `hidden` [batch, length, hidden]; `maskedOut` the bool [batch, 1, length, length] of
    /// ``DebertaV2Encoder/maskedPairs(_:)``; `positions` and `relativeEmbeddings` (the
    /// normalised `rel_embeddings`) when relative attention is on.
    public func callAsFunction(_ hidden: Tensor, maskedOut: Tensor, positions: RelativePositionIndices?,
                               relativeEmbeddings: Tensor?) throws -> Tensor {
        let q = try splitHeads(queryProjection(hidden))
        let k = try splitHeads(keyProjection(hidden))
        let v = try splitHeads(valueProjection(hidden))
        var scores = try q.matmul(k.transpose(-1, -2) / scale)
        if relativeAttention, let positions, let relativeEmbeddings {
            let embeddings = try path.dropout(relativeEmbeddings, probability: positionDropout).slice(dim: 0, start: 0, end: 2 * span)
            if let bias = try disentangledBias(q: q, k: k, positions: positions, embeddings: embeddings) {
                scores = try scores + bias
            }
        }
        // XSoftmax: masked scores get the dtype's lowest value, masked probabilities exactly 0
        // (a padding query row attends to nothing).
        let filled = try scores.maskedFill(maskedOut, value: lowestValue(try scores.dtype))
        var probabilities = try filled.softmax(dim: -1).maskedFill(maskedOut, value: 0)
        probabilities = try path.dropout(probabilities, probability: dropout)
        let context = try probabilities.matmul(v).permute(0, 2, 1, 3).contiguous()
        let shape = try context.shape
        return try context.view([shape[0], shape[1], heads * headSize])
    }

    /// `disentangled_attention_bias`: c2p[i, j] = q_i · Kr[c2p_pos(i, j)] and
    /// p2c[i, j] = k_j · Qr[p2c_pos(j, i)], each divided by the scale; nil with no term.
    func disentangledBias(q: Tensor, k: Tensor, positions: RelativePositionIndices, embeddings: Tensor) throws -> Tensor? {
        let shape = try q.shape
        let gatherShape = [shape[0], shape[1], shape[2], shape[2]]
        var bias: Tensor?
        if contentToPosition {
            let projection = shareKeys ? keyProjection : positionKeyProjection
            guard let projection else { return nil }
            let positionKeys = try splitPositionHeads(projection(embeddings))
            let c2p = try q.matmul(positionKeys.transpose(-1, -2))
                .gather(dim: -1, index: positions.contentToPosition.expand(gatherShape))
            bias = try c2p / scale
        }
        if positionToContent {
            let projection = shareKeys ? queryProjection : positionQueryProjection
            guard let projection else { return bias }
            let positionQueries = try splitPositionHeads(projection(embeddings))
            let p2c = try k.matmul(positionQueries.transpose(-1, -2))
                .gather(dim: -1, index: positions.positionToContent.expand(gatherShape))
                .transpose(-1, -2)
            bias = try bias.map { try $0 + p2c / scale } ?? (p2c / scale)
        }
        return bias
    }
}

/// The lowest finite value of `dtype` (`torch.finfo(dtype).min`).
func lowestValue(_ dtype: DType) -> Double {
    switch dtype {
    case .float16: return -65504
    case .bfloat16: return -3.3895313892515355e38
    case .float64: return -Double.greatestFiniteMagnitude
    default: return Double(-Float.greatestFiniteMagnitude)
    }
}

/// DebertaV2SelfOutput: dense, dropout, residual, LayerNorm.
public struct DebertaV2SelfOutput {
    let body: DenseResidualLayerNorm

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        body = try DenseResidualLayerNorm(path, inputSize: config.hiddenSize, outputSize: config.hiddenSize, eps: config.layerNormEps,
                                          dropout: config.hiddenDropoutProb, std: config.initializerRange)
    }

    public func callAsFunction(_ x: Tensor, residual: Tensor) throws -> Tensor {
        try body(x, residual: residual)
    }
}

/// DebertaV2Attention: `self` (DisentangledSelfAttention) then `output` (DebertaV2SelfOutput).
public struct DebertaV2Attention {
    let selfAttention: DisentangledSelfAttention
    let output: DebertaV2SelfOutput

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        selfAttention = try DisentangledSelfAttention(path.child("self"), config: config)
        output = try DebertaV2SelfOutput(path.child("output"), config: config)
    }

    public func callAsFunction(_ hidden: Tensor, maskedOut: Tensor, positions: RelativePositionIndices?,
                               relativeEmbeddings: Tensor?) throws -> Tensor {
        let attended = try selfAttention(hidden, maskedOut: maskedOut, positions: positions, relativeEmbeddings: relativeEmbeddings)
        return try output(attended, residual: hidden)
    }
}

/// DebertaV2Intermediate: dense to `intermediate_size`, then `hidden_act`.
public struct DebertaV2Intermediate {
    let dense: Linear
    let activation: Activation

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        dense = try Linear(path.child("dense"), inputSize: config.hiddenSize, outputSize: config.intermediateSize,
                           std: config.initializerRange)
        activation = config.hiddenAct
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try activation(dense(x))
    }
}

/// DebertaV2Output: dense back to `hidden_size`, dropout, residual, LayerNorm.
public struct DebertaV2Output {
    let body: DenseResidualLayerNorm

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        body = try DenseResidualLayerNorm(path, inputSize: config.intermediateSize, outputSize: config.hiddenSize,
                                          eps: config.layerNormEps, dropout: config.hiddenDropoutProb, std: config.initializerRange)
    }

    public func callAsFunction(_ x: Tensor, residual: Tensor) throws -> Tensor {
        try body(x, residual: residual)
    }
}

/// DebertaV2Layer: attention, intermediate, output.
public struct DebertaV2Layer {
    let attention: DebertaV2Attention
    let intermediate: DebertaV2Intermediate
    let output: DebertaV2Output

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        attention = try DebertaV2Attention(path.child("attention"), config: config)
        intermediate = try DebertaV2Intermediate(path.child("intermediate"), config: config)
        output = try DebertaV2Output(path.child("output"), config: config)
    }

    public func callAsFunction(_ hidden: Tensor, maskedOut: Tensor, positions: RelativePositionIndices?,
                               relativeEmbeddings: Tensor?) throws -> Tensor {
        let attended = try attention(hidden, maskedOut: maskedOut, positions: positions, relativeEmbeddings: relativeEmbeddings)
        return try output(intermediate(attended), residual: attended)
    }
}

/// DebertaV2Encoder: the layers, the relative embeddings (`rel_embeddings`, 2 x span rows) and
/// their LayerNorm when `norm_rel_ebd` has "layer_norm".
public struct DebertaV2Encoder {
    let layers: [DebertaV2Layer]
    let relativeEmbeddings: Embedding?
    let layerNorm: LayerNorm?
    let config: DebertaV2Config

    public init(_ path: ParameterPath, config: DebertaV2Config) throws {
        layers = try (0..<config.numHiddenLayers).map { try DebertaV2Layer(path.child("layer")[$0], config: config) }
        relativeEmbeddings = config.relativeAttention
            ? try Embedding(path.child("rel_embeddings"), count: 2 * config.relativeAttentionSpan, width: config.hiddenSize,
                            std: config.initializerRange) : nil
        layerNorm = config.normalizesRelativeEmbeddings
            ? try LayerNorm(path.child("LayerNorm"), size: config.hiddenSize, eps: config.layerNormEps) : nil
        self.config = config
    }

    /// `get_rel_embedding`: the relative embedding table, normalised when configured.
    public func relativeEmbeddingTable() throws -> Tensor? {
        guard let relativeEmbeddings else { return nil }
        guard let layerNorm else { return relativeEmbeddings.weight }
        return try layerNorm(relativeEmbeddings.weight)
    }

    /// `get_attention_mask` as XSoftmax reads it: true where query i or key j is padding
    /// ([batch, 1, length, length] bool from a [batch, length] mask of 1s and 0s).
    public static func maskedPairs(_ mask: Tensor) throws -> Tensor {
        let extended = try mask.unsqueeze(1).unsqueeze(2)
        let pairs = try extended * extended.squeeze(-2).unsqueeze(-1)
        return try pairs.eq(0)
    }

    /// `hidden` [batch, length, hidden] from the embeddings; `attentionMask` [batch, length].
    public func callAsFunction(_ hidden: Tensor, attentionMask: Tensor) throws -> Tensor {
        let maskedOut = try Self.maskedPairs(attentionMask)
        let positions = try config.relativeAttention
            ? RelativePositionIndices(length: try hidden.size(1), config: config, device: try hidden.device) : nil
        let table = try relativeEmbeddingTable()
        var output = hidden
        for layer in layers {
            output = try layer(output, maskedOut: maskedOut, positions: positions, relativeEmbeddings: table)
        }
        return output
    }
}

/// DebertaV2Model, the bare encoder (no pooler, no head): DeBERTa-v2 and v3 backbones. A
/// checkpoint's pretraining heads (`lm_predictions.*`, `mask_predictions.*`) and
/// `position_ids` buffer are allowed as unused, see ``ignoredCheckpointTensors``.
public final class DebertaV2Model {
    public let config: DebertaV2Config
    public let store: ParameterStore
    let embeddings: DebertaV2Embeddings
    let encoder: DebertaV2Encoder

    /// Builds the parameters under `path` (the store's root by default); throws
    /// ``ModelError`` when the config is outside what is implemented (`configFile` names it).
    public init(config: DebertaV2Config, store: ParameterStore, path: ParameterPath? = nil, configFile: String = "config.json") throws {
        try config.validate(file: configFile)
        self.config = config
        self.store = store
        let root = path ?? store.root
        embeddings = try DebertaV2Embeddings(root.child("embeddings"), config: config)
        encoder = try DebertaV2Encoder(root.child("encoder"), config: config)
    }

    /// Last hidden states [batch, length, hidden] for `inputIDs` [batch, length] (int64),
    /// `attentionMask` [batch, length] (1 = token, 0 = padding) and `tokenTypeIDs` (zeros when
    /// nil; ignored when `type_vocab_size` is 0). Padding rows come out as the encoder makes
    /// them (their attention is all zeros), as in Hugging Face.
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor? = nil) throws -> Tensor {
        let shape = try inputIDs.shape
        guard shape.count == 2, try attentionMask.shape == shape else {
            throw ModelError.invalidInput("DebertaV2Model: input ids \(shape) and attention mask \(try attentionMask.shape) must both be [batch, length]")
        }
        guard shape[1] <= config.maxPositionEmbeddings || !config.positionBiasedInput else {
            throw ModelError.invalidInput("DebertaV2Model: \(shape[1]) tokens exceed max_position_embeddings \(config.maxPositionEmbeddings)")
        }
        let types = try tokenTypeIDs ?? Tensor.zeros(shape, dtype: .int64, device: try inputIDs.device)
        let hidden = try embeddings(inputIDs: inputIDs, tokenTypeIDs: types, mask: attentionMask)
        return try encoder(hidden, attentionMask: attentionMask)
    }

    /// Tensors of a DeBERTa checkpoint this encoder does not use: the pretraining heads
    /// (`lm_predictions.*`, `mask_predictions.*`, `cls.*`), the `position_ids` buffer, and
    /// absolute position embeddings a model without `position_biased_input` ignores (Hugging
    /// Face's `_keys_to_ignore_on_load_unexpected`).
    public static let ignoredCheckpointTensors: @Sendable (String) -> Bool = { name in
        name.hasPrefix("lm_predictions.") || name.hasPrefix("mask_predictions.") || name.hasPrefix("cls.")
            || name.hasSuffix("embeddings.position_ids") || name.hasSuffix("embeddings.position_embeddings.weight")
    }
}
