// Mirrors https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/modeling_llama.py
// (LlamaModel: the decoder without lm_head, no key/value cache, positions 0..<length as LlamaModel
// numbers them when no position_ids are given). One type per Hugging Face block, parameter names
// equal to the checkpoint's. Attention goes through the fused scaled_dot_product_attention (as
// LlamaSdpaAttention) except when training with attention dropout (LlamaAttention's eager path).
// `pretraining_tp` > 1 only splits the same products into slices in transformers, so it is ignored.
import Torch

/// LlamaRMSNorm: `weight * x / sqrt(mean(x²) + eps)`, the variance computed in float32.
public struct LlamaRMSNorm {
    public let weight: Tensor
    public let eps: Double

    public init(_ path: ParameterPath, size: Int, eps: Double) throws {
        weight = try path.parameter("weight", shape: [size], initialization: .ones)
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let inputType = try x.dtype
        let wide = try inputType == .float32 ? x : x.to(.float32)
        let variance = try wide.pow(2).mean(dim: -1, keepDim: true)
        let normalized = try wide * (variance + eps).rsqrt()
        return try weight * (inputType == .float32 ? normalized : normalized.to(inputType))
    }
}

/// LlamaRotaryEmbedding: cos and sin of `position · θ^(-2i/d)`, each frequency twice
/// (`cat(freqs, freqs)`), computed in float32 and returned in `dtype`; with a ``Scaling`` (Llama's
/// `rope_scaling`, ``LlamaConfig/rotaryScaling(file:)``) as the class transformers picks for it:
/// - linear: LlamaLinearScalingRotaryEmbedding (v4.40.2), positions divided by the factor;
/// - dynamic: LlamaDynamicNTKScalingRotaryEmbedding (v4.40.2): when `seq_len` = max(position_ids)
///   + 1 (the padded length: LlamaModel numbers every row 0..<length) exceeds
///   `max_position_embeddings`, `inv_freq` is recomputed from base · ((factor · seq_len / max) -
///   (factor - 1))^(d / (d - 2)), that base computed in float32 as transformers does (seq_len is
///   a tensor there). transformers keeps the recomputed `inv_freq` in the module, so a later
///   shorter batch would use it too; arena is stateless, each call is the function of its length
///   (what a freshly loaded transformers model computes);
/// - llama3: `_compute_llama3_parameters` of
///   https://github.com/huggingface/transformers/blob/v4.43.4/src/transformers/modeling_rope_utils.py:
///   frequencies whose wavelength 2π/f exceeds original_max / low_freq_factor are divided by the
///   factor, those under original_max / high_freq_factor kept, those between interpolated with
///   smooth = (original_max / wavelength - low) / (high - low); float32 as in transformers
///   (whose attention_scaling is 1 for llama3).
public struct LlamaRotaryEmbedding {
    /// The `rope_scaling` kinds implemented, with their parameters.
    public enum Scaling: Equatable, Sendable {
        case linear(factor: Double)
        case dynamic(factor: Double, maxPositionEmbeddings: Int)
        case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositionEmbeddings: Int)
    }

    public let headSize: Int
    public let base: Double
    public let scaling: Scaling?

    public init(headSize: Int, base: Double, scaling: Scaling? = nil) {
        self.headSize = headSize
        self.base = base
        self.scaling = scaling
    }

    /// The exponents `arange(0, d, 2).float() / d`.
    func exponents(device: Device) throws -> Tensor {
        try Tensor.arange(0, Double(headSize), step: 2, dtype: .int64, device: device).to(.float32) / Double(headSize)
    }

    /// `inv_freq`: 1 / base^(arange(0, d, 2) / d), float32 as transformers computes it (before any
    /// scaling).
    public func inverseFrequencies(device: Device) throws -> Tensor {
        try 1.0 / Tensor.full([headSize / 2], value: base, dtype: .float32, device: device).pow(exponents(device: device))
    }

    /// `inv_freq` as the scaled class computes it for a sequence of `length` positions.
    public func scaledInverseFrequencies(length: Int, device: Device) throws -> Tensor {
        switch scaling {
        case nil, .linear?:
            return try inverseFrequencies(device: device)
        case let .dynamic(factor, maxPositions)?:
            guard length > maxPositions else { return try inverseFrequencies(device: device) }
            // base * ((factor * seq_len / max) - (factor - 1)) ** (d / (d - 2)), seq_len a tensor:
            // every step in float32.
            let d = Double(headSize)
            let seqLength = try Tensor.scalar(Double(length), dtype: .float32, device: device)
            let scaledBase = try base * ((factor * seqLength / Double(maxPositions)) - (factor - 1)).pow(d / (d - 2))
            return try 1.0 / scaledBase.pow(exponents(device: device))
        case let .llama3(factor, low, high, original)?:
            let frequencies = try inverseFrequencies(device: device)
            let lowWavelength = Double(original) / low, highWavelength = Double(original) / high
            // `2 * math.pi / freq` on a tensor is reciprocal(freq) * 2π (Tensor.__rtruediv__).
            let wavelength = try frequencies.reciprocal() * (2 * Double.pi)
            let smooth = try (wavelength.reciprocal() * Double(original) - low) / (high - low)
            let smoothed = try (1 - smooth) * frequencies / factor + smooth * frequencies
            let divided = try Tensor.where(wavelength.gt(lowWavelength), frequencies / factor, smoothed)
            return try Tensor.where(wavelength.lt(highWavelength), frequencies, divided)
        }
    }

    /// cos and sin [length, headSize] for positions 0..<length.
    public func callAsFunction(length: Int, dtype: DType, device: Device) throws -> (cos: Tensor, sin: Tensor) {
        var positions = try Tensor.arange(0, Double(length), dtype: .int64, device: device).to(.float32).unsqueeze(1)
        if case let .linear(factor)? = scaling { positions = try positions / factor }
        let frequencies = try positions * scaledInverseFrequencies(length: length, device: device).unsqueeze(0)
        let angles = try Tensor.cat([frequencies, frequencies], dim: -1)
        let cos = try angles.cos(), sin = try angles.sin()
        if dtype == .float32 { return (cos, sin) }
        return (try cos.to(dtype), try sin.to(dtype))
    }
}

/// `rotate_half`: (x1, x2) -> (-x2, x1) over the two halves of the last dimension.
func rotateHalf(_ x: Tensor) throws -> Tensor {
    let half = try x.size(-1) / 2
    return try Tensor.cat([x.narrow(dim: -1, start: half, length: half).neg(), x.narrow(dim: -1, start: 0, length: half)], dim: -1)
}

/// `apply_rotary_pos_emb` for one of q or k: `x * cos + rotate_half(x) * sin`.
func applyRotary(_ x: Tensor, cos: Tensor, sin: Tensor) throws -> Tensor {
    try x * cos + rotateHalf(x) * sin
}

/// `repeat_kv`: [batch, kvHeads, length, d] -> [batch, kvHeads · repeats, length, d], each
/// key/value head repeated for the query heads of its group.
func repeatKeyValue(_ x: Tensor, repeats: Int) throws -> Tensor {
    guard repeats > 1 else { return x }
    let shape = try x.shape
    return try x.unsqueeze(2).expand([shape[0], shape[1], repeats, shape[2], shape[3]])
        .reshape([shape[0], shape[1] * repeats, shape[2], shape[3]])
}

/// LlamaAttention: q/k/v projections, rotary embeddings on q and k, grouped-query attention,
/// o_proj.
public struct LlamaAttention {
    let query, key, value, output: Linear
    let heads, keyValueHeads, headSize: Int
    let path: ParameterPath
    let dropout: Double

    public init(_ path: ParameterPath, config: LlamaConfig) throws {
        let h = config.hiddenSize, d = config.headSize, std = config.initializerRange
        heads = config.numAttentionHeads
        keyValueHeads = config.numKeyValueHeads
        headSize = d
        query = try Linear(path.child("q_proj"), inputSize: h, outputSize: heads * d, bias: config.attentionBias, std: std)
        key = try Linear(path.child("k_proj"), inputSize: h, outputSize: keyValueHeads * d, bias: config.attentionBias, std: std)
        value = try Linear(path.child("v_proj"), inputSize: h, outputSize: keyValueHeads * d, bias: config.attentionBias, std: std)
        output = try Linear(path.child("o_proj"), inputSize: heads * d, outputSize: h, bias: config.attentionBias, std: std)
        self.path = path
        dropout = config.attentionDropout
    }

    /// [batch, length, count · headSize] -> [batch, count, length, headSize]
    func splitHeads(_ x: Tensor, count: Int) throws -> Tensor {
        let shape = try x.shape
        return try x.view([shape[0], shape[1], count, headSize]).transpose(1, 2)
    }

    /// `cos`, `sin`: [length, headSize] of ``LlamaRotaryEmbedding``; `mask`: the additive
    /// [batch, 1, length, length] mask of ``LlamaModel/causalMask(_:dtype:)``.
    public func callAsFunction(_ hidden: Tensor, cos: Tensor, sin: Tensor, mask: Tensor) throws -> Tensor {
        let q = try applyRotary(splitHeads(query(hidden), count: heads), cos: cos, sin: sin)
        let k = try repeatKeyValue(applyRotary(splitHeads(key(hidden), count: keyValueHeads), cos: cos, sin: sin),
                                   repeats: heads / keyValueHeads)
        let v = try repeatKeyValue(splitHeads(value(hidden), count: keyValueHeads), repeats: heads / keyValueHeads)
        let typedMask = try mask.dtype == q.dtype ? mask : mask.to(q.dtype)
        let attended: Tensor
        if path.store.training && dropout > 0 {
            // LlamaAttention (eager): softmax in float32, back to the query's dtype, dropout.
            let scores = try q.matmul(k.transpose(2, 3)) / Double(headSize).squareRoot() + typedMask
            let weights = try scores.softmax(dim: -1, dtype: .float32).to(q.dtype)
            attended = try path.dropout(weights, probability: dropout).matmul(v)
        } else {
            attended = try Tensor.scaledDotProductAttention(query: q, key: k, value: v, mask: typedMask, dropout: 0)
        }
        let shape = try hidden.shape
        return try output(attended.transpose(1, 2).contiguous().view([shape[0], shape[1], heads * headSize]))
    }
}

/// LlamaMLP: `down_proj(silu(gate_proj(x)) * up_proj(x))`, no biases.
public struct LlamaMLP {
    let gate, up, down: Linear

    public init(_ path: ParameterPath, config: LlamaConfig) throws {
        let h = config.hiddenSize, i = config.intermediateSize, std = config.initializerRange
        gate = try Linear(path.child("gate_proj"), inputSize: h, outputSize: i, bias: false, std: std)
        up = try Linear(path.child("up_proj"), inputSize: h, outputSize: i, bias: false, std: std)
        down = try Linear(path.child("down_proj"), inputSize: i, outputSize: h, bias: false, std: std)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try down(gate(x).silu() * up(x))
    }
}

/// LlamaDecoderLayer: pre-norm attention and MLP, each with a residual connection.
public struct LlamaDecoderLayer {
    let inputNorm: LlamaRMSNorm
    let attention: LlamaAttention
    let postAttentionNorm: LlamaRMSNorm
    let mlp: LlamaMLP

    public init(_ path: ParameterPath, config: LlamaConfig) throws {
        attention = try LlamaAttention(path.child("self_attn"), config: config)
        mlp = try LlamaMLP(path.child("mlp"), config: config)
        inputNorm = try LlamaRMSNorm(path.child("input_layernorm"), size: config.hiddenSize, eps: config.rmsNormEps)
        postAttentionNorm = try LlamaRMSNorm(path.child("post_attention_layernorm"), size: config.hiddenSize, eps: config.rmsNormEps)
    }

    public func callAsFunction(_ hidden: Tensor, cos: Tensor, sin: Tensor, mask: Tensor) throws -> Tensor {
        let attended = try hidden + attention(inputNorm(hidden), cos: cos, sin: sin, mask: mask)
        return try attended + mlp(postAttentionNorm(attended))
    }
}

/// LlamaModel: token embeddings, decoder layers, final RMSNorm. The parameters are the bare
/// model's (`embed_tokens.weight`, `layers.0.self_attn.q_proj.weight`, `norm.weight`); load a
/// LlamaForCausalLM checkpoint with `prefix: "model"` (its `lm_head.weight` is allowed as unused by
/// ``ignoredCheckpointTensors``), or build the model under `store.root.child("model")` to have
/// exactly the checkpoint's names.
public final class LlamaModel {
    public let config: LlamaConfig
    public let store: ParameterStore
    let embedTokens: Embedding
    let layers: [LlamaDecoderLayer]
    let norm: LlamaRMSNorm
    let rotary: LlamaRotaryEmbedding
    /// Activation checkpointing per decoder layer while training (transformers'
    /// `gradient_checkpointing_enable()`, reentrant): each layer's intermediates are recomputed
    /// in the backward pass instead of kept (``checkpointed(_:_:)``).
    public var gradientCheckpointing = false

    public init(config: LlamaConfig, store: ParameterStore, path: ParameterPath? = nil, configFile: String = "config.json") throws {
        try config.validate(file: configFile)
        self.config = config
        self.store = store
        let root = path ?? store.root
        let padding = config.padTokenId.flatMap { (0..<config.vocabSize).contains($0) ? $0 : nil }
        // The same creation order as the Hugging Face module tree (embed_tokens, layers, norm).
        embedTokens = try Embedding(root.child("embed_tokens"), count: config.vocabSize, width: config.hiddenSize,
                                    paddingIndex: padding, std: config.initializerRange)
        layers = try (0..<config.numHiddenLayers).map { try LlamaDecoderLayer(root.child("layers")[$0], config: config) }
        norm = try LlamaRMSNorm(root.child("norm"), size: config.hiddenSize, eps: config.rmsNormEps)
        rotary = LlamaRotaryEmbedding(headSize: config.headSize, base: config.ropeTheta,
                                      scaling: try config.rotaryScaling(file: configFile))
    }

    /// Last hidden states [batch, length, hidden] for `inputIDs` [batch, length] (int64) and
    /// `attentionMask` (1 = token, 0 = padding, on either side), causal attention.
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor {
        let shape = try inputIDs.shape, maskShape = try attentionMask.shape
        guard shape.count == 2, maskShape == shape else {
            throw ModelError.invalidInput("LlamaModel: input ids \(shape) and attention mask \(maskShape) must both be [batch, length]")
        }
        var hidden = try embedTokens(inputIDs)
        let dtype = try hidden.dtype, device = try hidden.device
        let mask = try Self.causalMask(attentionMask, dtype: dtype)
        let (cos, sin) = try rotary(length: shape[1], dtype: dtype, device: device)
        for layer in layers {
            if gradientCheckpointing && store.training {
                hidden = try checkpointed(hidden) { try layer($0, cos: cos, sin: sin, mask: mask) }
            } else {
                hidden = try layer(hidden, cos: cos, sin: sin, mask: mask)
            }
        }
        return try norm(hidden)
    }

    /// The additive mask of LlamaModel's `_update_causal_mask` for a 2-D padding mask: [batch, 1,
    /// length, length], 0 where query i may attend key j (j ≤ i and j not padding) and the
    /// dtype's lowest value elsewhere. A query whose every key is masked (left padding) attends
    /// uniformly, as in transformers on the CPU; its output is padding and ignored.
    public static func causalMask(_ attentionMask: Tensor, dtype: DType) throws -> Tensor {
        let length = try attentionMask.size(1)
        let positions = try Tensor.arange(0, Double(length), dtype: .int64, device: attentionMask.device)
        let future = try positions.unsqueeze(0).gt(positions.unsqueeze(1))
        let padding = try attentionMask.eq(0).unsqueeze(1).unsqueeze(2)
        let blocked = try future.logicalOr(padding)
        return try Tensor.zeros(blocked.shape, dtype: dtype, device: blocked.device).maskedFill(blocked, value: lowestValue(dtype))
    }

    /// `torch.finfo(dtype).min`.
    static func lowestValue(_ dtype: DType) -> Double {
        switch dtype {
        case .float16: return -65504
        case .bfloat16: return -3.3895313892515355e38
        case .float64: return -Double.greatestFiniteMagnitude
        default: return Double(-Float.greatestFiniteMagnitude)
        }
    }

    /// Tensors of a Llama checkpoint this decoder does not use: the language-model head and the
    /// `rotary_emb.inv_freq` buffers older checkpoints saved.
    public static let ignoredCheckpointTensors: @Sendable (String) -> Bool = { name in
        name == "lm_head.weight" || name.hasSuffix("rotary_emb.inv_freq")
    }
}
