"""Writes Tests/TorchTests/Fixtures/checkpoint/: small checkpoints written by PyTorch and by the
safetensors package, and the values they hold, for the Swift readers of the Torch module.

- state_dict.bin: torch.save of a module's state_dict() (an OrderedDict) plus extra tensors:
  float16, bfloat16, int64, bool, a view into another tensor's storage at a nonzero offset, a
  transposed (non-contiguous) tensor, tied weights (one storage, two names), a 0-dim scalar.
- tensors.safetensors: the same tensors by safetensors.torch.save_file, with metadata.
- expected.json: name -> dtype, shape, values (as float64; float16/bfloat16 converted exactly).

Run: .venv/bin/python tools/make_checkpoint_fixtures.py
Pinned: Debian python3-torch 1.13, safetensors 0.4.3, numpy 1.26.4 (tools/requirements.txt).
"""
import collections
import json
import pathlib

import safetensors
import safetensors.torch
import torch

assert torch.__version__.startswith("1.13"), torch.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/TorchTests/Fixtures/checkpoint"
OUT.mkdir(parents=True, exist_ok=True)

g = torch.Generator().manual_seed(7)
module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
with torch.no_grad():
    for p in module.parameters():
        p.copy_(torch.randn(p.shape, generator=g))
state = module.state_dict()
assert isinstance(state, collections.OrderedDict)

big = torch.randn(6, 5, generator=g)
extra = {
    "half": torch.randn(2, 3, generator=g).half(),
    "bfloat": torch.randn(3, 2, generator=g).bfloat16(),
    "counts": torch.arange(-3, 5, dtype=torch.int64).reshape(2, 4),
    "mask": torch.tensor([True, False, True, True]),
    "scalar": torch.tensor(2.5),
    "big": big,
    "view_of_big": big[2:4, 1:4],  # nonzero storage offset, strided rows
    "transposed": torch.randn(3, 4, generator=g).t(),  # non-contiguous
}
extra["tied"] = extra["big"]  # the same storage under two names
for name, tensor in extra.items():
    state[name] = tensor
torch.save(state, OUT / "state_dict.bin")

contiguous = {name: t.contiguous() for name, t in state.items() if name != "tied"}
safetensors.torch.save_file(contiguous, OUT / "tensors.safetensors", metadata={"format": "pt", "note": "arena fixture"})

expected = {
    name: {
        "dtype": str(t.dtype).replace("torch.", ""),
        "shape": list(t.shape),
        "values": [float(v) for v in t.detach().to(torch.float64).flatten().tolist()],
    }
    for name, t in state.items()
}
(OUT / "expected.json").write_text(json.dumps(expected, indent=1))
for path in sorted(OUT.iterdir()):
    print(path.name, path.stat().st_size)
