// Mirrors https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/gemma/modeling_gemma.py
// (GemmaModel: the decoder without lm_head, no key/value cache, positions 0..<length; and
// GemmaForSequenceClassification). Gemma is Llama's decoder with: embeddings scaled by
// √hidden_size (the factor rounded to the hidden dtype first, as
// `torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype)`), GemmaRMSNorm (`(1 + weight)`, in
// float32 then cast), `head_dim` from the config, a GeGLU MLP (gelu with the tanh approximation
// unless `hidden_activation` says otherwise), biases on all four attention projections when
// `attention_bias`, and tied embeddings (checkpoints have no `lm_head.weight`).
// Parameter names equal the checkpoint's.
import Torch

/// GemmaRMSNorm: `(x / sqrt(mean(x²) + eps)) * (1 + weight)`, all in float32, then cast back to the
/// input's dtype (Llama multiplies after the cast; Gemma before:
/// https://github.com/huggingface/transformers/pull/29402). `weight` starts at 0.
public struct GemmaRMSNorm {
    public let weight: Tensor
    public let eps: Double

    public init(_ path: ParameterPath, size: Int, eps: Double) throws {
        weight = try path.parameter("weight", shape: [size], initialization: .zeros)
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let inputType = try x.dtype
        let wide = try inputType == .float32 ? x : x.to(.float32)
        let normalized = try wide * (wide.pow(2).mean(dim: -1, keepDim: true) + eps).rsqrt()
        let scale = try weight.dtype == .float32 ? weight : weight.to(.float32)
        let output = try normalized * (scale + 1.0)
        return try inputType == .float32 ? output : output.to(inputType)
    }
}

/// GemmaMLP: `down_proj(act(gate_proj(x)) * up_proj(x))` (``GemmaConfig/activationName``).
public typealias GemmaMLP = DecoderMLP
/// GemmaAttention: softmax(q kᵀ/√head_dim + mask) v with `head_dim` from the config.
public typealias GemmaAttention = DecoderAttention

/// Multiplies `hidden` by √`hiddenSize` rounded to `hidden`'s dtype first (GemmaModel's
/// `normalizer`; in bfloat16 √3072 is 55.5, not 55.43).
func scaleEmbeddings(_ hidden: Tensor, hiddenSize: Int) throws -> Tensor {
    let dtype = try hidden.dtype, device = try hidden.device
    let normalizer = try Tensor.full([], value: Double(hiddenSize).squareRoot(), dtype: dtype, device: device)
    return try hidden * normalizer
}

/// GemmaDecoderLayer: pre-norm attention and MLP, each with a residual connection.
public struct GemmaDecoderLayer {
    let inputNorm: GemmaRMSNorm
    let attention: GemmaAttention
    let postAttentionNorm: GemmaRMSNorm
    let mlp: GemmaMLP

    public init(_ path: ParameterPath, config: GemmaConfig, activation: Activation) throws {
        let h = config.hiddenSize, std = config.initializerRange
        attention = try GemmaAttention(path.child("self_attn"), hiddenSize: h, heads: config.numAttentionHeads,
                                       keyValueHeads: config.numKeyValueHeads, headSize: config.headDim,
                                       projectionBias: config.attentionBias, outputBias: config.attentionBias,
                                       dropout: config.attentionDropout, std: std)
        mlp = try GemmaMLP(path.child("mlp"), hiddenSize: h, intermediateSize: config.intermediateSize, activation: activation, std: std)
        inputNorm = try GemmaRMSNorm(path.child("input_layernorm"), size: h, eps: config.rmsNormEps)
        postAttentionNorm = try GemmaRMSNorm(path.child("post_attention_layernorm"), size: h, eps: config.rmsNormEps)
    }

    public func callAsFunction(_ hidden: Tensor, cos: Tensor, sin: Tensor, mask: Tensor) throws -> Tensor {
        let attended = try hidden + attention(inputNorm(hidden), cos: cos, sin: sin, mask: mask)
        return try attended + mlp(postAttentionNorm(attended))
    }
}

/// GemmaModel: token embeddings (scaled by √hidden_size), decoder layers, final GemmaRMSNorm
/// (`embed_tokens.weight`, `layers.0.self_attn.q_proj.weight`, `norm.weight`). Build it under
/// `store.root.child("model")` to have a checkpoint's names, or load a GemmaForCausalLM checkpoint
/// with `prefix: "model"`.
public final class GemmaModel: DecoderBackbone {
    public let config: GemmaConfig
    public let store: ParameterStore
    let embedTokens: Embedding
    let layers: [GemmaDecoderLayer]
    let norm: GemmaRMSNorm
    let rotary: LlamaRotaryEmbedding
    /// Activation checkpointing per decoder layer while training (transformers'
    /// `gradient_checkpointing_enable()`), as ``LlamaModel/gradientCheckpointing``.
    public var gradientCheckpointing = false

    public init(config: GemmaConfig, store: ParameterStore, path: ParameterPath? = nil, configFile: String = "config.json") throws {
        try config.validate(file: configFile)
        let activation = try config.activation(file: configFile)
        self.config = config
        self.store = store
        let root = path ?? store.root
        let padding = config.padTokenId.flatMap { (0..<config.vocabSize).contains($0) ? $0 : nil }
        embedTokens = try Embedding(root.child("embed_tokens"), count: config.vocabSize, width: config.hiddenSize,
                                    paddingIndex: padding, std: config.initializerRange)
        layers = try (0..<config.numHiddenLayers).map {
            try GemmaDecoderLayer(root.child("layers")[$0], config: config, activation: activation)
        }
        norm = try GemmaRMSNorm(root.child("norm"), size: config.hiddenSize, eps: config.rmsNormEps)
        rotary = LlamaRotaryEmbedding(headSize: config.headDim, base: config.ropeTheta)
    }

    /// Last hidden states [batch, length, hidden] for `inputIDs` [batch, length] (int64) and
    /// `attentionMask` (1 = token, 0 = padding, on either side), causal attention.
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor {
        let shape = try checkDecoderInputs(inputIDs, attentionMask, model: "GemmaModel")
        var hidden = try scaleEmbeddings(embedTokens(inputIDs), hiddenSize: config.hiddenSize)
        let dtype = try hidden.dtype, device = try hidden.device
        let mask = try decoderCausalMask(attentionMask, dtype: dtype)
        let (cos, sin) = try rotary(length: shape[1], dtype: dtype, device: device)
        let checkpointing = gradientCheckpointing && store.training
        for layer in layers {
            hidden = try decoderLayerStep(hidden, checkpointing: checkpointing) { try layer($0, cos: cos, sin: sin, mask: mask) }
        }
        return try norm(hidden)
    }

    /// Tensors of a Gemma checkpoint this decoder does not use: an untied `lm_head.weight` (tied
    /// checkpoints have none) and `rotary_emb.inv_freq` buffers.
    public static let ignoredCheckpointTensors: @Sendable (String) -> Bool = LlamaModel.ignoredCheckpointTensors
}

/// GemmaForSequenceClassification: `model` = GemmaModel, `score` = Linear(hidden_size, num_labels,
/// bias=False), read at the last non-padding token by transformers' rule (LlamaForSequenceClassification's).
public typealias GemmaForSequenceClassification = DecoderForSequenceClassification<GemmaModel>
