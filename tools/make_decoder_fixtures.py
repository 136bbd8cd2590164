"""Writes Tests/ModelsTests/Fixtures/qwen2-tiny-cls/ and gemma-tiny-cls/: a small random
Qwen2ForSequenceClassification and GemmaForSequenceClassification, and what transformers computes
with them, for the Swift parity tests of Sources/Models/Qwen2 and Sources/Models/Gemma.

Each folder holds config.json, model.safetensors (the classifier's state dict: the decoder under
`model.*` and `score.weight`) and reference.safetensors, the protocol of make_llama_fixtures.py:
- input_ids / attention_mask: a right-padded batch of 3 rows (padding id 0), last_hidden_state:
  the decoder's (`classifier.model`) output for it in eval mode (float32), and logits [3, 3]: the
  classifier's (read at the last non-padding token by transformers' rule);
- left_input_ids / left_attention_mask / left_last_hidden_state / left_logits: the same rows
  left-padded (positions still 0..length-1);
- loss_weight W and grad.<name> for a few parameters: gradients of (last_hidden_state * W * mask).sum().
Grouped-query attention (4 heads, 2 key/value heads), norm weights away from their init, random
biases, so every part shows in the output.
- Qwen2: q/k/v biases (o_proj has none), rope_theta 1e6, use_sliding_window false with
  sliding_window 6 < length 12: transformers 4.40.2's eager and SDPA masks apply
  `sliding_window` whatever `use_sliding_window` says (_prepare_4d_causal_attention_mask), so the
  window shows in the reference.
- Gemma: head_dim 12 (not hidden_size / heads = 8), hidden_act "gelu" with hidden_activation
  unset (4.40.2 then uses gelu_pytorch_tanh and ignores hidden_act), tied embeddings, embeddings
  scaled by sqrt(hidden_size), RMSNorm weights (init 0, used as 1 + w) away from 0.

Run: .venv/bin/python tools/make_decoder_fixtures.py
Pinned: transformers 4.40.2, safetensors 0.4.3, torch 2.15.0 (tools/requirements.txt; asserted).
CPU, one thread. attn_implementation="eager" (the explicit softmax(q kᵀ/√d + mask) v).
Gemma-2 is not in 4.40.2: tools/make_gemma2_fixtures.py.
"""
import pathlib

import safetensors
import safetensors.torch
import torch
import transformers

assert transformers.__version__ == "4.40.2", transformers.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
torch.set_num_threads(1)
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/ModelsTests/Fixtures"


def batches(vocab_size):
    """Right- and left-padded int64 rows of lengths 12, 9, 4 (pad id 0)."""
    lengths, length = (12, 9, 4), 12
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, vocab_size, (len(lengths), length), generator=g)
    mask = torch.zeros(len(lengths), length, dtype=torch.int64)
    left_ids, left_mask = torch.zeros_like(ids), torch.zeros_like(mask)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
        left_mask[row, length - n:] = 1
        left_ids[row, length - n:] = ids[row, :n]
    return ids * mask, mask, left_ids, left_mask, g


def write(name, classifier, norm_offset, gradient_names):
    """Perturbs `classifier`'s norms (norm_offset + 0.3·N(0,1)), biases and score, then writes the folder."""
    config = classifier.config
    with torch.no_grad():
        for parameter_name, parameter in classifier.named_parameters():
            if parameter_name.endswith("norm.weight"):
                parameter.copy_(norm_offset + 0.3 * torch.randn_like(parameter))
            elif parameter_name.endswith(".bias"):
                parameter.copy_(0.1 * torch.randn_like(parameter))
            elif parameter_name == "score.weight":
                parameter.copy_(0.3 * torch.randn_like(parameter))
    classifier.eval()
    out = FIXTURES / name
    out.mkdir(parents=True, exist_ok=True)
    config.to_json_file(out / "config.json")
    state = {k: v.contiguous() for k, v in classifier.state_dict().items()}
    safetensors.torch.save_file(state, out / "model.safetensors", metadata={"format": "pt"})

    ids, mask, left_ids, left_mask, g = batches(config.vocab_size)
    hidden = classifier.model(input_ids=ids, attention_mask=mask).last_hidden_state
    weight = torch.randn(hidden.shape, generator=g)
    (hidden * weight * mask.unsqueeze(-1)).sum().backward()
    with torch.no_grad():
        left_hidden = classifier.model(input_ids=left_ids, attention_mask=left_mask).last_hidden_state
        logits = classifier(input_ids=ids, attention_mask=mask).logits
        left_logits = classifier(input_ids=left_ids, attention_mask=left_mask).logits
    assert logits.shape == (3, 3)
    parameters = dict(classifier.named_parameters())
    reference = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden.detach().contiguous(),
                 "logits": logits.contiguous(), "left_input_ids": left_ids, "left_attention_mask": left_mask,
                 "left_last_hidden_state": left_hidden.contiguous(), "left_logits": left_logits.contiguous(),
                 "loss_weight": weight}
    for gradient_name in gradient_names:
        reference["grad." + gradient_name] = parameters[gradient_name].grad.contiguous()
    safetensors.torch.save_file(reference, out / "reference.safetensors")
    print(f"{name}: {sum(p.stat().st_size for p in out.iterdir())} bytes")


torch.manual_seed(0)
qwen2 = transformers.Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=32, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                 rms_norm_eps=1e-6, rope_theta=1000000.0, use_sliding_window=False, sliding_window=6,
                                 max_window_layers=2, tie_word_embeddings=False, initializer_range=0.1,
                                 pad_token_id=0, num_labels=3, attn_implementation="eager")
write("qwen2-tiny-cls", transformers.Qwen2ForSequenceClassification(qwen2), 1.0,
      ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.bias",
       "model.layers.1.mlp.gate_proj.weight", "model.layers.1.input_layernorm.weight", "model.norm.weight"])

torch.manual_seed(0)
gemma = transformers.GemmaConfig(vocab_size=64, hidden_size=32, intermediate_size=32, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, head_dim=12, hidden_act="gelu",
                                 hidden_activation=None, max_position_embeddings=64, rms_norm_eps=1e-6,
                                 rope_theta=10000.0, attention_bias=False, initializer_range=0.1, pad_token_id=0,
                                 num_labels=3, attn_implementation="eager")
write("gemma-tiny-cls", transformers.GemmaForSequenceClassification(gemma), 0.0,
      ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.o_proj.weight",
       "model.layers.1.mlp.gate_proj.weight", "model.layers.1.input_layernorm.weight", "model.norm.weight"])
