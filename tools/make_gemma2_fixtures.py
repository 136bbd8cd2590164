"""Writes Tests/ModelsTests/Fixtures/gemma2-tiny-cls/: a small random Gemma2ForSequenceClassification
and what transformers computes with it, for the Swift parity tests of Sources/Models/Gemma2.

The folder holds config.json, model.safetensors (the classifier's state dict: `model.*` and
`score.weight`) and reference.safetensors, with the protocol of tools/make_decoder_fixtures.py
(right- and left-padded rows of lengths 12, 9, 4; last_hidden_state, logits, the left_ twins,
loss_weight and grad.<name>). The config makes every Gemma-2 part show: 2 layers (layer 0 slides,
layer 1 is global), sliding_window 4 < length 12, attn_logit_softcapping 2.0,
query_pre_attn_scalar 24 (scaling 24^-0.5, not head_dim^-0.5), head_dim 12 (not 32 / 4 heads),
the four RMSNorms per layer with weights away from their init (0, used as 1 + w), and
final_logit_softcapping 3.0 with score weights large enough that some |logit| > 3: 4.42.4's
Gemma2ForSequenceClassification does not soft-cap its logits (only Gemma2ForCausalLM does), and
the reference shows it (asserted below).

Gemma-2 needs transformers >= 4.42, the repository pins 4.40.2 (tools/requirements.txt), so this
runs with the overlay of tools/requirements-gemma2.txt (tools/setup-python.sh --gemma2):
  PYTHONPATH=.venv-gemma2-overlay .venv/bin/python tools/make_gemma2_fixtures.py
Pinned: transformers 4.42.4 (asserted), safetensors 0.4.3, torch 2.15.0. CPU, one thread.
attn_implementation="eager": soft-capping is implemented on the eager path only in 4.42.
"""
import pathlib

import safetensors
import safetensors.torch
import torch
import transformers

assert transformers.__version__ == "4.42.4", transformers.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
torch.set_num_threads(1)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/ModelsTests/Fixtures/gemma2-tiny-cls"

torch.manual_seed(0)
config = transformers.Gemma2Config(vocab_size=64, hidden_size=32, intermediate_size=32, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, head_dim=12,
                                   hidden_activation="gelu_pytorch_tanh", max_position_embeddings=64,
                                   rms_norm_eps=1e-6, rope_theta=10000.0, attention_bias=False,
                                   initializer_range=0.1, pad_token_id=0, final_logit_softcapping=3.0,
                                   attn_logit_softcapping=2.0, query_pre_attn_scalar=24, sliding_window=4,
                                   num_labels=3, attn_implementation="eager")
classifier = transformers.Gemma2ForSequenceClassification(config)
assert classifier.config._attn_implementation == "eager"
with torch.no_grad():
    for name, parameter in classifier.named_parameters():
        if name.endswith("norm.weight"):
            parameter.copy_(0.3 * torch.randn_like(parameter))
        elif name == "score.weight":
            parameter.copy_(2.0 * torch.randn_like(parameter))
classifier.eval()
OUT.mkdir(parents=True, exist_ok=True)
config.to_json_file(OUT / "config.json")
state = {k: v.contiguous() for k, v in classifier.state_dict().items()}
safetensors.torch.save_file(state, OUT / "model.safetensors", metadata={"format": "pt"})

lengths, length = (12, 9, 4), 12
g = torch.Generator().manual_seed(1)
ids = torch.randint(1, config.vocab_size, (len(lengths), length), generator=g)
mask = torch.zeros(len(lengths), length, dtype=torch.int64)
left_ids, left_mask = torch.zeros_like(ids), torch.zeros_like(mask)
for row, n in enumerate(lengths):
    mask[row, :n] = 1
    left_mask[row, length - n:] = 1
    left_ids[row, length - n:] = ids[row, :n]
ids = ids * mask

hidden = classifier.model(input_ids=ids, attention_mask=mask).last_hidden_state
weight = torch.randn(hidden.shape, generator=g)
(hidden * weight * mask.unsqueeze(-1)).sum().backward()
with torch.no_grad():
    left_hidden = classifier.model(input_ids=left_ids, attention_mask=left_mask).last_hidden_state
    logits = classifier(input_ids=ids, attention_mask=mask).logits
    left_logits = classifier(input_ids=left_ids, attention_mask=left_mask).logits
assert logits.shape == (3, 3)
assert logits.abs().max() > config.final_logit_softcapping, "no logit beyond the final cap: it would not show"
parameters = dict(classifier.named_parameters())
reference = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden.detach().contiguous(),
             "logits": logits.contiguous(), "left_input_ids": left_ids, "left_attention_mask": left_mask,
             "left_last_hidden_state": left_hidden.contiguous(), "left_logits": left_logits.contiguous(),
             "loss_weight": weight}
for name in ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
             "model.layers.0.post_attention_layernorm.weight", "model.layers.1.pre_feedforward_layernorm.weight",
             "model.layers.1.post_feedforward_layernorm.weight", "model.layers.1.mlp.up_proj.weight",
             "model.norm.weight"]:
    reference["grad." + name] = parameters[name].grad.contiguous()
safetensors.torch.save_file(reference, OUT / "reference.safetensors")
print(f"gemma2-tiny-cls: {sum(p.stat().st_size for p in OUT.iterdir())} bytes; logits max |{logits.abs().max():.3f}|")
