"""Writes Tests/ModelsTests/Fixtures/llama-rope-{linear,dynamic,llama3}/: the tiny Llama decoder of
Fixtures/llama-tiny (its model.safetensors is the weights, read from there, not copied) under each
`rope_scaling` kind, and what transformers' LlamaModel computes with it, for the Swift tests of
LlamaRotaryEmbedding's scaling (Tests/ModelsTests/LlamaRopeScalingTests.swift).

Each folder holds config.json (llama-tiny's with rope_scaling set) and reference.safetensors:
input_ids / attention_mask, a right-padded batch (rows of lengths 12, 9, 4 in 12 positions,
padding id 0) and last_hidden_state, LlamaModel's output for it (float32, eval).
- llama-rope-linear: {"type": "linear", "factor": 2.0} (LlamaLinearScalingRotaryEmbedding, v4.40.2).
- llama-rope-dynamic: {"type": "dynamic", "factor": 2.0} with max_position_embeddings 8
  (LlamaDynamicNTKScalingRotaryEmbedding, v4.40.2): the batch of length 12 > 8 recomputes inv_freq;
  short_input_ids / short_attention_mask / short_last_hidden_state, a batch of length 6 (rows of
  6 and 3), does not. Each batch runs on a freshly built model: transformers keeps the recomputed
  inv_freq in the module, so a batch after a long one would use it (arena is stateless).
- llama-rope-llama3: {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
  "high_freq_factor": 4.0, "original_max_position_embeddings": 128}, rope_theta 10000 and
  max_position_embeddings 256, so the head size 8's four frequencies (wavelengths 6.3, 63, 628,
  6283) fall in all three bands (kept < 32, interpolated, divided > 128). Llama-3.1's rope type is
  not in transformers 4.40.2: this part runs with the overlay of tools/requirements-llama3.txt
  (transformers 4.43.4, `tools/setup-python.sh --llama3`) and only with --llama3.

Run: .venv/bin/python tools/make_rope_scaling_fixtures.py                 (linear, dynamic)
     PYTHONPATH=.venv-llama3-overlay .venv/bin/python tools/make_rope_scaling_fixtures.py --llama3
Pinned: transformers 4.40.2 (4.43.4 with --llama3), safetensors 0.4.3, torch 2.15.0 (asserted).
CPU, one thread, attn_implementation="eager".
"""
import json
import pathlib
import sys

import safetensors
import safetensors.torch
import torch
import transformers

LLAMA3 = sys.argv[1:] == ["--llama3"]
assert sys.argv[1:] in ([], ["--llama3"]), "usage: make_rope_scaling_fixtures.py [--llama3]"
assert transformers.__version__ == ("4.43.4" if LLAMA3 else "4.40.2"), transformers.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
torch.set_num_threads(1)
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/ModelsTests/Fixtures"
BASE = FIXTURES / "llama-tiny"
# llama-tiny's LlamaForCausalLM state dict, as LlamaModel's (no `model.` prefix, no lm_head).
WEIGHTS = {k.removeprefix("model."): v for k, v in safetensors.torch.load_file(BASE / "model.safetensors").items()
           if k != "lm_head.weight"}


def batch(lengths, length, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 100, (len(lengths), length), generator=g)
    mask = torch.zeros(len(lengths), length, dtype=torch.int64)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
    return ids * mask, mask


def hidden_states(config, ids, mask):
    """LlamaModel's last hidden states on a freshly built model (no inv_freq left by a run before)."""
    model = transformers.LlamaModel(config)
    model.load_state_dict(WEIGHTS, strict=True)
    model.eval()
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).last_hidden_state.contiguous()


def write(name, changes, batches):
    fields = json.loads((BASE / "config.json").read_text())
    fields.update(changes)
    config = transformers.LlamaConfig(**{k: v for k, v in fields.items() if k not in ("model_type", "transformers_version")})
    config._attn_implementation = "eager"
    folder = FIXTURES / name
    folder.mkdir(parents=True, exist_ok=True)
    config.to_json_file(folder / "config.json")
    plain = transformers.LlamaConfig(**{**config.to_dict(), "rope_scaling": None})
    plain._attn_implementation = "eager"
    reference = {}
    for prefix, (ids, mask, scaled) in batches.items():
        hidden = hidden_states(config, ids, mask)
        unscaled = hidden_states(plain, ids, mask)
        # The scaling shows where it should (and only there).
        assert (hidden - unscaled).abs().max() > 1e-3 if scaled else torch.equal(hidden, unscaled), (name, prefix)
        reference.update({prefix + "input_ids": ids, prefix + "attention_mask": mask, prefix + "last_hidden_state": hidden})
    safetensors.torch.save_file(reference, folder / "reference.safetensors")
    print(f"{name}: {sum(p.stat().st_size for p in folder.iterdir())} bytes")


long_ids, long_mask = batch((12, 9, 4), 12, seed=1)
if not LLAMA3:
    write("llama-rope-linear", {"rope_scaling": {"type": "linear", "factor": 2.0}},
          {"": (long_ids, long_mask, True)})
    short_ids, short_mask = batch((6, 3), 6, seed=2)
    write("llama-rope-dynamic", {"rope_scaling": {"type": "dynamic", "factor": 2.0}, "max_position_embeddings": 8},
          {"": (long_ids, long_mask, True), "short_": (short_ids, short_mask, False)})
else:
    write("llama-rope-llama3", {"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 128},
                                "rope_theta": 10000.0, "max_position_embeddings": 256},
          {"": (long_ids, long_mask, True)})
