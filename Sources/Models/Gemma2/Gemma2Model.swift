// Mirrors https://github.com/huggingface/transformers/blob/v4.42.4/src/transformers/models/gemma2/modeling_gemma2.py
// (Gemma2Model and Gemma2ForSequenceClassification, eager attention: soft-capping is implemented
// on that path only in v4.42; no key/value cache, positions 0..<length). Gemma-2 is Gemma (√hidden_size embedding scale,
// GemmaRMSNorm, `head_dim`, GeGLU, tied embeddings) with:
// - attention scores `q kᵀ · query_pre_attn_scalar^-0.5`, soft-capped `tanh(s / cap) · cap` with
//   `attn_logit_softcapping` before the mask is added;
// - sliding-window attention on the even layers (0, 2, ...): there the causal + padding mask also
//   blocks keys `sliding_window` or more positions back (`tril(ones, diagonal=-sliding_window)`);
//   the odd layers attend globally;
// - four norms per layer: input_layernorm before attention, post_attention_layernorm on the
//   attention output (before the residual), pre_feedforward_layernorm and post_feedforward_layernorm
//   around the MLP.
// Parameter names equal the checkpoint's.
import Foundation
import Torch

/// Gemma2RMSNorm: GemmaRMSNorm's formula.
public typealias Gemma2RMSNorm = GemmaRMSNorm
/// Gemma2MLP: `down_proj(act(gate_proj(x)) * up_proj(x))` with `hidden_activation`.
public typealias Gemma2MLP = DecoderMLP
/// Gemma2Attention: the eager path with `query_pre_attn_scalar` scaling and logit soft-capping.
public typealias Gemma2Attention = DecoderAttention

/// Gemma2DecoderLayer: `h + post_attention_layernorm(attn(input_layernorm(h)))`, then
/// `h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))`.
public struct Gemma2DecoderLayer {
    let attention: Gemma2Attention
    let mlp: Gemma2MLP
    let inputNorm, postAttentionNorm, preFeedforwardNorm, postFeedforwardNorm: Gemma2RMSNorm
    /// Whether this layer's mask has the sliding window (the even layers).
    public let isSliding: Bool

    public init(_ path: ParameterPath, index: Int, config: Gemma2Config, activation: Activation) throws {
        let h = config.hiddenSize, std = config.initializerRange, eps = config.rmsNormEps
        // The same creation order as the Hugging Face module tree.
        attention = try Gemma2Attention(path.child("self_attn"), hiddenSize: h, heads: config.numAttentionHeads,
                                        keyValueHeads: config.numKeyValueHeads, headSize: config.headDim,
                                        projectionBias: config.attentionBias, outputBias: config.attentionBias,
                                        scaling: pow(config.queryPreAttnScalar, -0.5),  // `query_pre_attn_scalar**-0.5`
                                        softCap: config.attnLogitSoftcapping, dropout: config.attentionDropout, std: std)
        mlp = try Gemma2MLP(path.child("mlp"), hiddenSize: h, intermediateSize: config.intermediateSize, activation: activation, std: std)
        inputNorm = try Gemma2RMSNorm(path.child("input_layernorm"), size: h, eps: eps)
        postAttentionNorm = try Gemma2RMSNorm(path.child("post_attention_layernorm"), size: h, eps: eps)
        preFeedforwardNorm = try Gemma2RMSNorm(path.child("pre_feedforward_layernorm"), size: h, eps: eps)
        postFeedforwardNorm = try Gemma2RMSNorm(path.child("post_feedforward_layernorm"), size: h, eps: eps)
        isSliding = Gemma2Config.isSliding(layer: index)
    }

    /// `mask`: the global causal + padding mask; `slidingMask`: the same with the window, used when
    /// ``isSliding``.
    public func callAsFunction(_ hidden: Tensor, cos: Tensor, sin: Tensor, mask: Tensor, slidingMask: Tensor) throws -> Tensor {
        let attended = try hidden + postAttentionNorm(attention(inputNorm(hidden), cos: cos, sin: sin,
                                                                mask: isSliding ? slidingMask : mask))
        return try attended + postFeedforwardNorm(mlp(preFeedforwardNorm(attended)))
    }
}

/// Gemma2Model: token embeddings (scaled by √hidden_size), decoder layers, final RMSNorm
/// (`embed_tokens.weight`, `layers.0.pre_feedforward_layernorm.weight`, `norm.weight`). Build it
/// under `store.root.child("model")` to have a checkpoint's names, or load a Gemma2ForCausalLM
/// checkpoint with `prefix: "model"`.
public final class Gemma2Model: DecoderBackbone {
    public let config: Gemma2Config
    public let store: ParameterStore
    let embedTokens: Embedding
    let layers: [Gemma2DecoderLayer]
    let norm: Gemma2RMSNorm
    let rotary: LlamaRotaryEmbedding
    /// Activation checkpointing per decoder layer while training (transformers'
    /// `gradient_checkpointing_enable()`), as ``LlamaModel/gradientCheckpointing``.
    public var gradientCheckpointing = false

    public init(config: Gemma2Config, store: ParameterStore, path: ParameterPath? = nil, configFile: String = "config.json") throws {
        try config.validate(file: configFile)
        let activation = try config.activation(file: configFile)
        self.config = config
        self.store = store
        let root = path ?? store.root
        let padding = config.padTokenId.flatMap { (0..<config.vocabSize).contains($0) ? $0 : nil }
        embedTokens = try Embedding(root.child("embed_tokens"), count: config.vocabSize, width: config.hiddenSize,
                                    paddingIndex: padding, std: config.initializerRange)
        layers = try (0..<config.numHiddenLayers).map {
            try Gemma2DecoderLayer(root.child("layers")[$0], index: $0, config: config, activation: activation)
        }
        norm = try Gemma2RMSNorm(root.child("norm"), size: config.hiddenSize, eps: config.rmsNormEps)
        rotary = LlamaRotaryEmbedding(headSize: config.headDim, base: config.ropeTheta)
    }

    /// Last hidden states [batch, length, hidden] for `inputIDs` [batch, length] (int64) and
    /// `attentionMask` (1 = token, 0 = padding, on either side): causal attention, within
    /// `sliding_window` on the even layers.
    public func callAsFunction(inputIDs: Tensor, attentionMask: Tensor) throws -> Tensor {
        let shape = try checkDecoderInputs(inputIDs, attentionMask, model: "Gemma2Model")
        var hidden = try scaleEmbeddings(embedTokens(inputIDs), hiddenSize: config.hiddenSize)
        let dtype = try hidden.dtype, device = try hidden.device
        let mask = try decoderCausalMask(attentionMask, dtype: dtype)
        // `tril(ones, diagonal=-sliding_window)` blocks i - j >= sliding_window.
        let slidingMask = try decoderCausalMask(attentionMask, dtype: dtype, window: config.slidingWindow - 1)
        let (cos, sin) = try rotary(length: shape[1], dtype: dtype, device: device)
        let checkpointing = gradientCheckpointing && store.training
        for layer in layers {
            hidden = try decoderLayerStep(hidden, checkpointing: checkpointing) {
                try layer($0, cos: cos, sin: sin, mask: mask, slidingMask: slidingMask)
            }
        }
        return try norm(hidden)
    }

    /// Tensors of a Gemma-2 checkpoint this decoder does not use: an untied `lm_head.weight` and
    /// `rotary_emb.inv_freq` buffers.
    public static let ignoredCheckpointTensors: @Sendable (String) -> Bool = LlamaModel.ignoredCheckpointTensors
}

/// Gemma2ForSequenceClassification: `model` = Gemma2Model, `score` = Linear(hidden_size, num_labels,
/// bias=False), read at the last non-padding token by transformers' rule (LlamaForSequenceClassification's).
/// `final_logit_softcapping` is not applied: in v4.42.4 only Gemma2ForCausalLM caps its lm_head
/// logits; Gemma2ForSequenceClassification returns the score logits as they are.
public typealias Gemma2ForSequenceClassification = DecoderForSequenceClassification<Gemma2Model>
