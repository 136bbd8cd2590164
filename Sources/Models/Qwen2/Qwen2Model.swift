// Mirrors https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/qwen2/modeling_qwen2.py
// (Qwen2Model: the decoder without lm_head, no key/value cache, positions 0..<length; and
// Qwen2ForSequenceClassification). Qwen2 is Llama with biases on q_proj, k_proj and v_proj (none on
// o_proj) and the `sliding_window` of the eager/SDPA causal mask (``Qwen2Config/slidingWindow``).
// Parameter names equal the checkpoint's.
import Torch

/// Qwen2RMSNorm: LlamaRMSNorm's formula ("Copied from transformers.models.llama").
public typealias Qwen2RMSNorm = LlamaRMSNorm
/// Qwen2MLP: `down_proj(silu(gate_proj(x)) * up_proj(x))`.
public typealias Qwen2MLP = DecoderMLP
/// Qwen2Attention: biased q/k/v, unbiased o_proj, softmax(q kᵀ/√d + mask) v.
public typealias Qwen2Attention = DecoderAttention

/// Qwen2DecoderLayer: pre-norm attention and MLP, each with a residual connection.
public struct Qwen2DecoderLayer {
    let inputNorm: Qwen2RMSNorm
    let attention: Qwen2Attention
    let postAttentionNorm: Qwen2RMSNorm
    let mlp: Qwen2MLP

    public init(_ path: ParameterPath, config: Qwen2Config) throws {
        let h = config.hiddenSize, std = config.initializerRange
        attention = try Qwen2Attention(path.child("self_attn"), hiddenSize: h, heads: config.numAttentionHeads,
                                       keyValueHeads: config.numKeyValueHeads, headSize: config.headSize,
                                       projectionBias: true, outputBias: false, dropout: config.attentionDropout, std: std)
        mlp = try Qwen2MLP(path.child("mlp"), hiddenSize: h, intermediateSize: config.intermediateSize, activation: .silu, std: std)
        inputNorm = try Qwen2RMSNorm(path.child("input_layernorm"), size: h, eps: config.rmsNormEps)
        postAttentionNorm = try Qwen2RMSNorm(path.child("post_attention_layernorm"), size: h, eps: config.rmsNormEps)
    }

    public func callAsFunction(_ hidden: Tensor, cos: Tensor, sin: Tensor, mask: Tensor) throws -> Tensor {
        let attended = try hidden + attention(inputNorm(hidden), cos: cos, sin: sin, mask: mask)
        return try attended + mlp(postAttentionNorm(attended))
    }
}

/// Qwen2Model: token embeddings, decoder layers, final RMSNorm (`embed_tokens.weight`,
/// `layers.0.self_attn.q_proj.bias`, `norm.weight`). Build it under `store.root.child("model")`
/// to have a checkpoint's names, or load a Qwen2ForCausalLM checkpoint with `prefix: "model"`
/// (its `lm_head.weight`, absent when `tie_word_embeddings`, is allowed by ``ignoredCheckpointTensors``).
public final class Qwen2Model: DecoderBackbone {
    public let config: Qwen2Config
    public let store: ParameterStore
    let embedTokens: Embedding
    let layers: [Qwen2DecoderLayer]
    let norm: Qwen2RMSNorm
    let rotary: LlamaRotaryEmbedding
    /// Activation checkpointing per decoder layer while training (transformers'
    /// `gradient_checkpointing_enable()`), as ``LlamaModel/gradientCheckpointing``.
    public var gradientCheckpointing = false

    public init(config: Qwen2Config, store: ParameterStore, path: ParameterPath? = nil, configFile: String = "config.json") throws {
        try config.validate(file: configFile)
        self.config = config
        self.store = store
        let root = path ?? store.root
        let padding = config.padTokenId.flatMap { (0..<config.vocabSize).contains($0) ? $0 : nil }
        // The same creation order as the Hugging Face module tree (embed_tokens, layers, norm).
        embedTokens = try Embedding(root.child("embed_tokens"), count: config.vocabSize, width: config.hiddenSize,
                                    paddingIndex: padding, std: config.initializerRange)
        layers = try (0..<config.numHiddenLayers).map { try Qwen2DecoderLayer(root.child("layers")[$0], config: config) }
        norm = try Qwen2RMSNorm(root.child("norm"), size: config.hiddenSize, eps: config.rmsNormEps)
        rotary = LlamaRotaryEmbedding(headSize: config.headSize, base: config.ropeTheta)
    }

    /// Last hidden states [batch, length, hidden] for `inputIDs` [batch, length] (int64) and
    /// `attentionMask` (1 = token, 0 = padding, on either side), causal attention within
    /// `sliding_window`.
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor {
        let shape = try checkDecoderInputs(inputIDs, attentionMask, model: "Qwen2Model")
        var hidden = try embedTokens(inputIDs)
        let dtype = try hidden.dtype, device = try hidden.device
        let mask = try decoderCausalMask(attentionMask, dtype: dtype, window: config.slidingWindow)
        let (cos, sin) = try rotary(length: shape[1], dtype: dtype, device: device)
        let checkpointing = gradientCheckpointing && store.training
        for layer in layers {
            hidden = try decoderLayerStep(hidden, checkpointing: checkpointing) { try layer($0, cos: cos, sin: sin, mask: mask) }
        }
        return try norm(hidden)
    }

    /// Tensors of a Qwen2 checkpoint this decoder does not use: the language-model head and
    /// `rotary_emb.inv_freq` buffers.
    public static let ignoredCheckpointTensors: @Sendable (String) -> Bool = LlamaModel.ignoredCheckpointTensors
}

/// Qwen2ForSequenceClassification: `model` = Qwen2Model, `score` = Linear(hidden_size, num_labels,
/// bias=False), read at the last non-padding token by transformers' rule (LlamaForSequenceClassification's).
public typealias Qwen2ForSequenceClassification = DecoderForSequenceClassification<Qwen2Model>
