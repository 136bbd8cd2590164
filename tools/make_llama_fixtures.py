"""Writes Tests/ModelsTests/Fixtures/llama-tiny/: a small random Llama decoder and what
transformers' LlamaModel computes with it, for the Swift parity tests of Sources/Models/Llama.

The folder holds config.json, model.safetensors (the state dict of a LlamaForCausalLM: the decoder
under `model.*` plus an untied `lm_head.weight`, as real checkpoints are saved) and
reference.safetensors:
- input_ids / attention_mask: a right-padded batch of 3 rows (padding id 0), and
  last_hidden_state: LlamaModel's output for it in eval mode (float32);
- left_input_ids / left_attention_mask / left_last_hidden_state: the same rows left-padded
  (positions still 0..length-1, as LlamaModel numbers them when no position_ids are given);
- loss_weight W and grad.<name> for a few parameters: gradients of (last_hidden_state * W * mask).sum().
Grouped-query attention (4 heads, 2 key/value heads), attention_bias, rope_theta 500000 and
RMSNorm weights away from 1, so every part of the model shows in the output.
Also writes Tests/ModelsTests/Fixtures/llama-tiny-cls/ (LlamaForSequenceClassification, see the end).

Run: .venv/bin/python tools/make_llama_fixtures.py
Pinned: transformers 4.40.2, safetensors 0.4.3, torch 2.15.0 from PyPI (the libtorch arena links)
(tools/requirements.txt; asserted). CPU, one thread. attn_implementation="eager": the reference is
the explicit softmax(q kᵀ/√d + mask) v of LlamaAttention (the SDPA class computes the same
function up to rounding).
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
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/ModelsTests/Fixtures/llama-tiny"

torch.manual_seed(0)
config = transformers.LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                  rms_norm_eps=1e-6, rope_theta=500000.0, attention_bias=True,
                                  tie_word_embeddings=False, initializer_range=0.1, pad_token_id=0,
                                  attn_implementation="eager")
model = transformers.LlamaForCausalLM(config).eval()
with torch.no_grad():
    for name, parameter in model.named_parameters():
        if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
            parameter.copy_(1 + 0.3 * torch.randn_like(parameter))
        elif name.endswith(".bias"):
            parameter.copy_(0.1 * torch.randn_like(parameter))

OUT.mkdir(parents=True, exist_ok=True)
config.to_json_file(OUT / "config.json")
state = {k: v.contiguous() for k, v in model.state_dict().items()}
safetensors.torch.save_file(state, OUT / "model.safetensors", metadata={"format": "pt"})

lengths, length = (12, 9, 4), 12
g = torch.Generator().manual_seed(1)
ids = torch.randint(1, config.vocab_size, (len(lengths), length), generator=g)
mask = torch.zeros(len(lengths), length, dtype=torch.int64)
left_ids = torch.zeros_like(ids)
left_mask = torch.zeros_like(mask)
for row, n in enumerate(lengths):
    mask[row, :n] = 1
    left_mask[row, length - n:] = 1
    left_ids[row, length - n:] = ids[row, :n]
ids = ids * mask

decoder = model.model
hidden = decoder(input_ids=ids, attention_mask=mask).last_hidden_state
weight = torch.randn(hidden.shape, generator=g)
(hidden * weight * mask.unsqueeze(-1)).sum().backward()
with torch.no_grad():
    left_hidden = decoder(input_ids=left_ids, attention_mask=left_mask).last_hidden_state
parameters = dict(model.named_parameters())
reference = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden.detach().contiguous(),
             "left_input_ids": left_ids, "left_attention_mask": left_mask,
             "left_last_hidden_state": left_hidden.contiguous(), "loss_weight": weight}
for name in ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.bias",
             "model.layers.1.mlp.gate_proj.weight", "model.layers.1.input_layernorm.weight", "model.norm.weight"]:
    reference["grad." + name] = parameters[name].grad.contiguous()
safetensors.torch.save_file(reference, OUT / "reference.safetensors")
print(f"llama-tiny: {sum(p.stat().st_size for p in OUT.iterdir())} bytes")

# Tests/ModelsTests/Fixtures/llama-tiny-cls/: a LlamaForSequenceClassification on the same tiny
# config (pad_token_id 0, num_labels 3), seeded on its own so the files above stay as they were.
# model.safetensors is its state dict (`model.*` and `score.weight`); reference.safetensors holds
# input_ids / attention_mask (the right-padded rows above; row 0 has no padding, so its last
# token is found by the `% length` of transformers' rule) and logits [3, 3] in eval mode, and
# left_input_ids / left_attention_mask / left_logits for the left-padded rows (transformers'
# rule: first pad at 0, -1 % length = the last position, which is the last real token there).
CLS_OUT = OUT.parent / "llama-tiny-cls"
torch.manual_seed(2)
cls_config = transformers.LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                      rms_norm_eps=1e-6, rope_theta=500000.0, attention_bias=True,
                                      tie_word_embeddings=False, initializer_range=0.1, pad_token_id=0,
                                      num_labels=3, attn_implementation="eager")
classifier = transformers.LlamaForSequenceClassification(cls_config).eval()
with torch.no_grad():
    for name, parameter in classifier.named_parameters():
        if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
            parameter.copy_(1 + 0.3 * torch.randn_like(parameter))
        elif name.endswith(".bias"):
            parameter.copy_(0.1 * torch.randn_like(parameter))
        elif name == "score.weight":
            parameter.copy_(0.3 * torch.randn_like(parameter))
CLS_OUT.mkdir(parents=True, exist_ok=True)
cls_config.to_json_file(CLS_OUT / "config.json")
cls_state = {k: v.contiguous() for k, v in classifier.state_dict().items()}
safetensors.torch.save_file(cls_state, CLS_OUT / "model.safetensors", metadata={"format": "pt"})
with torch.no_grad():
    logits = classifier(input_ids=ids, attention_mask=mask).logits
    left_logits = classifier(input_ids=left_ids, attention_mask=left_mask).logits
assert logits.shape == (len(lengths), 3)
safetensors.torch.save_file({"input_ids": ids, "attention_mask": mask, "logits": logits.contiguous(),
                             "left_input_ids": left_ids, "left_attention_mask": left_mask,
                             "left_logits": left_logits.contiguous()}, CLS_OUT / "reference.safetensors")
print(f"llama-tiny-cls: {sum(p.stat().st_size for p in CLS_OUT.iterdir())} bytes")
