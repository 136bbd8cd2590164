// The parts the Qwen2, Gemma and Gemma-2 decoders share with each other and with Llama
// (Sources/Models/Llama/LlamaModel.swift, whose rotary embeddings, `rotate_half`, `repeat_kv` and
// `finfo.min` they reuse): grouped-query attention with the options those families add
// (projection biases, a scaling other than 1/√d, logit soft-capping), the gated MLP, the causal
// mask with an optional sliding window and config reading (the score head:
// DecoderForSequenceClassification.swift).
// Each family's file mirrors its Hugging Face file and names these parts with its own class names.
import Foundation
import Torch

/// Grouped-query self-attention with rotary embeddings (LlamaAttention's shape), as Qwen2Attention,
/// GemmaAttention and Gemma2Attention compute it: `q_proj`, `k_proj`, `v_proj` (with or without
/// bias), rotary embeddings on q and k, `repeat_kv`, softmax(scores + mask) in float32, `o_proj`.
/// The scores are `q kᵀ · scaling`, soft-capped as `tanh(scores / cap) · cap` *before* the mask
/// when `softCap` is set (Gemma2Attention, eager path of transformers v4.42.4).
public struct DecoderAttention {
    let query, key, value, output: Linear
    let heads, keyValueHeads, headSize: Int
    /// The factor on q kᵀ; nil is 1/√headSize (Llama, Qwen2, Gemma).
    let scaling: Double?
    let softCap: Double?
    let dropout: Double
    let path: ParameterPath

    /// `projectionBias`: biases on q/k/v; `outputBias`: on o_proj (Qwen2: true / false; Gemma:
    /// both `attention_bias`).
    public init(_ path: ParameterPath, hiddenSize: Int, heads: Int, keyValueHeads: Int, headSize: Int,
                projectionBias: Bool, outputBias: Bool, scaling: Double? = nil, softCap: Double? = nil,
                dropout: Double, std: Double) throws {
        query = try Linear(path.child("q_proj"), inputSize: hiddenSize, outputSize: heads * headSize, bias: projectionBias, std: std)
        key = try Linear(path.child("k_proj"), inputSize: hiddenSize, outputSize: keyValueHeads * headSize, bias: projectionBias, std: std)
        value = try Linear(path.child("v_proj"), inputSize: hiddenSize, outputSize: keyValueHeads * headSize, bias: projectionBias, std: std)
        output = try Linear(path.child("o_proj"), inputSize: heads * headSize, outputSize: hiddenSize, bias: outputBias, std: std)
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headSize = headSize
        self.scaling = scaling
        self.softCap = softCap
        self.dropout = dropout
        self.path = path
    }

    /// [batch, length, count · headSize] -> [batch, count, length, headSize]
    func splitHeads(_ x: Tensor, count: Int) throws -> Tensor {
        let shape = try x.shape
        return try x.view([shape[0], shape[1], count, headSize]).transpose(1, 2)
    }

    /// `cos`, `sin`: [length, headSize] of ``LlamaRotaryEmbedding``; `mask`: the additive
    /// [batch, 1, length, length] mask of ``decoderCausalMask(_:dtype:window:)``.
    public func callAsFunction(_ hidden: Tensor, cos: Tensor, sin: Tensor, mask: Tensor) throws -> Tensor {
        let q = try applyRotary(splitHeads(query(hidden), count: heads), cos: cos, sin: sin)
        let k = try repeatKeyValue(applyRotary(splitHeads(key(hidden), count: keyValueHeads), cos: cos, sin: sin),
                                   repeats: heads / keyValueHeads)
        let v = try repeatKeyValue(splitHeads(value(hidden), count: keyValueHeads), repeats: heads / keyValueHeads)
        let typedMask = try mask.dtype == q.dtype ? mask : mask.to(q.dtype)
        let training = path.store.training && dropout > 0
        let attended: Tensor
        if softCap == nil && scaling == nil && !training {
            // The fused kernel computes softmax(q kᵀ/√d + mask) v, the same function up to rounding.
            attended = try Tensor.scaledDotProductAttention(query: q, key: k, value: v, mask: typedMask, dropout: 0)
        } else {
            // The eager path: scores, soft-cap, mask, softmax in float32 back to the query's dtype, dropout.
            let products = try q.matmul(k.transpose(2, 3))
            var scores = try scaling.map { try products * $0 } ?? products / Double(headSize).squareRoot()
            if let softCap { scores = try (scores / softCap).tanh() * softCap }
            let weights = try (scores + typedMask).softmax(dim: -1, dtype: .float32).to(q.dtype)
            attended = try (training ? path.dropout(weights, probability: dropout) : weights).matmul(v)
        }
        let shape = try hidden.shape
        return try output(attended.transpose(1, 2).contiguous().view([shape[0], shape[1], heads * headSize]))
    }
}

/// The gated MLP of Llama, Qwen2, Gemma and Gemma-2: `down_proj(act(gate_proj(x)) * up_proj(x))`,
/// no biases (silu: SwiGLU; gelu with the tanh approximation: GeGLU).
public struct DecoderMLP {
    let gate, up, down: Linear
    let activation: Activation

    public init(_ path: ParameterPath, hiddenSize: Int, intermediateSize: Int, activation: Activation, std: Double) throws {
        gate = try Linear(path.child("gate_proj"), inputSize: hiddenSize, outputSize: intermediateSize, bias: false, std: std)
        up = try Linear(path.child("up_proj"), inputSize: hiddenSize, outputSize: intermediateSize, bias: false, std: std)
        down = try Linear(path.child("down_proj"), inputSize: intermediateSize, outputSize: hiddenSize, bias: false, std: std)
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try down(activation(gate(x)) * up(x))
    }
}

/// The additive causal mask [batch, 1, length, length] for a 2-D padding mask (1 = token, 0 =
/// padding, either side): 0 where query i may attend key j, `finfo(dtype).min` where j > i, where
/// key j is padding, or, with `window`, where i - j > window. `window` is the largest distance
/// still attended, which the families spell differently:
/// - Qwen2 (and Mistral) in transformers v4.40.2 mask `i - j > sliding_window`
///   (AttentionMaskConverter._make_causal_mask: `tril(ones, diagonal=-sliding_window - 1)`):
///   `window = sliding_window`;
/// - Gemma-2 in v4.42.4 masks `i - j >= sliding_window` (Gemma2DecoderLayer:
///   `tril(ones, diagonal=-sliding_window)`): `window = sliding_window - 1`.
/// Without a window it is ``LlamaModel/causalMask(_:dtype:)``. A query whose every key is masked
/// (left padding) attends uniformly, as in transformers on the CPU; its output is padding.
public func decoderCausalMask(_ attentionMask: Tensor, dtype: DType, window: Int? = nil) throws -> Tensor {
    guard let window else { return try LlamaModel.causalMask(attentionMask, dtype: dtype) }
    let length = try attentionMask.size(1)
    let positions = try Tensor.arange(0, Double(length), dtype: .int64, device: attentionMask.device)
    let distance = try positions.unsqueeze(1) - positions.unsqueeze(0)  // i - j
    let outside = try distance.lt(0).logicalOr(distance.gt(Double(window)))
    let padding = try attentionMask.eq(0).unsqueeze(1).unsqueeze(2)
    let blocked = try outside.logicalOr(padding)
    return try Tensor.zeros(blocked.shape, dtype: dtype, device: blocked.device)
        .maskedFill(blocked, value: LlamaModel.lowestValue(dtype))
}

/// The checks every decoder family makes of its attention shape, naming the field at fault.
func validateAttentionShape(file: String, heads: Int, keyValueHeads: Int, headSize: Int, ropeTheta: Double) throws {
    guard heads > 0 else {
        throw ModelError.invalidConfig(file: file, field: "num_attention_heads", reason: "must be positive, not \(heads)")
    }
    guard keyValueHeads > 0, heads % keyValueHeads == 0 else {
        throw ModelError.invalidConfig(file: file, field: "num_key_value_heads",
                                       reason: "\(heads) attention heads are not a multiple of \(keyValueHeads) key/value heads")
    }
    guard headSize > 0, headSize % 2 == 0 else {
        throw ModelError.invalidConfig(file: file, field: "head_dim", reason: "rotary embeddings need an even, positive head size, not \(headSize)")
    }
    guard ropeTheta > 0 else {
        throw ModelError.invalidConfig(file: file, field: "rope_theta", reason: "must be positive, not \(ropeTheta)")
    }
}

/// Reads `file` (a config.json) as `Config`, decoding errors as ``ModelError/invalidConfig`` naming
/// the field (as ``LlamaConfig/read(file:)`` and ``ModelFolder`` do).
func readDecoderConfig<Config: Decodable>(_ type: Config.Type, file: String) throws -> Config {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw ModelError.missingConfig(folder: URL(fileURLWithPath: file).deletingLastPathComponent().path)
    }
    do {
        return try JSONDecoder().decode(Config.self, from: data)
    } catch let error as DecodingError {
        throw ModelError.invalidConfig(file: file, field: ModelFolder.field(of: error), reason: ModelFolder.reason(of: error))
    } catch {
        throw ModelError.invalidConfig(file: file, field: "(file)", reason: "not valid JSON: \(error.localizedDescription)")
    }
}

extension KeyedDecodingContainer {
    /// A field whose JSON `null` means "none" while its absence means the default
    /// (`sliding_window`, `attn_logit_softcapping`): Python's `None` versus an unset argument.
    func decodeNullable<Value: Decodable>(_ type: Value.Type, forKey key: Key, default value: Value?) throws -> Value? {
        contains(key) ? try decodeIfPresent(type, forKey: key) : value
    }
}

/// One decoder layer on `hidden`: through ``checkpointed(_:_:)`` (intermediates recomputed in the
/// backward pass) when `checkpointing`, as ``LlamaModel/gradientCheckpointing`` does.
func decoderLayerStep(_ hidden: Tensor, checkpointing: Bool, _ layer: @escaping (Tensor) throws -> Tensor) throws -> Tensor {
    checkpointing ? try checkpointed(hidden, layer) : try layer(hidden)
}

/// Checks the model's inputs: both [batch, length] with the same shape.
func checkDecoderInputs(_ inputIDs: Tensor, _ attentionMask: Tensor, model: String) throws -> [Int] {
    let shape = try inputIDs.shape, maskShape = try attentionMask.shape
    guard shape.count == 2, maskShape == shape else {
        throw ModelError.invalidInput("\(model): input ids \(shape) and attention mask \(maskShape) must both be [batch, length]")
    }
    return shape
}
