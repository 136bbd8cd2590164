"""Writes Tests/TorchTests/Fixtures/checkpoint/: small checkpoints written by PyTorch and by the
safetensors package, and the values they hold, for the Swift readers in Sources/Torch/Checkpoint
(tested by Tests/TorchTests/CheckpointTests.swift).

- state_dict.bin: torch.save of a module's state_dict() (an OrderedDict with its _metadata:
  Linear, LayerNorm, BatchNorm1d with an int64 0-dim buffer) plus extra tensors: every dtype
  (float64/32/16, bfloat16, int64/32/16/8, uint8, bool), a 0-dim scalar, an empty tensor, a
  view into another tensor's storage at a nonzero offset (strided, and a contiguous row), a
  transposed (non-contiguous) tensor, tied weights (one storage, two names), an nn.Parameter.
  The torch 2.x archive also holds the records .format_version, .storage_alignment (each tensor's
  bytes start at a multiple of 64), byteorder and .data/serialization_id, which a reader skips.
- state_dict_zip64.bin: the same archive entries rewritten by Python's zipfile with every zip64
  record forced (zip64 end of central directory, locator and extra fields).
- nested.pt: torch.save of a dict of dicts of tensors (read flattened: "encoder.weight").
- tensors.safetensors: the same tensors by safetensors.torch.save_file with metadata. One
  metadata key only: the package writes metadata in Rust hash-map order, which varies from run
  to run with two or more keys, and the Swift test compares its own output with this file byte
  for byte.
- names.safetensors: tensors whose names need JSON escapes or are not ASCII, with metadata
  that needs escapes, by safetensors.torch.save_file (the Swift writer must give the same bytes).
- expected.json: {"state_dict": {name: {dtype, shape, values}}, "nested": {...}}, values as
  float64 (float16 and bfloat16 converted exactly; bool as 0/1) in row-major order.

Run from the repository root:  .venv/bin/python tools/make_checkpoint_fixtures.py
Pinned: torch 2.15.0 from PyPI (the libtorch arena links; asserted), safetensors 0.4.3, numpy 1.26.4
(tools/requirements.txt; the .venv made by tools/setup-python.sh). Seeded: reruns give the same
tensors (torch.save's zip bytes are deterministic too).
"""
import collections
import json
import pathlib
import zipfile

import safetensors
import safetensors.torch
import torch

assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/TorchTests/Fixtures/checkpoint"
OUT.mkdir(parents=True, exist_ok=True)

g = torch.Generator().manual_seed(7)


def randn(*shape):
    return torch.randn(*shape, generator=g)


module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3), torch.nn.BatchNorm1d(3))
with torch.no_grad():
    for p in module.parameters():
        p.copy_(randn(*p.shape))
    module[2].running_mean.copy_(randn(3))
    module[2].running_var.copy_(randn(3).abs())
    module[2].num_batches_tracked.fill_(7)
state = module.state_dict()
assert isinstance(state, collections.OrderedDict) and hasattr(state, "_metadata")
assert state["2.num_batches_tracked"].dtype == torch.int64 and state["2.num_batches_tracked"].dim() == 0

big = randn(6, 5)
extra = {
    "double": randn(2, 2).double(),
    "half": randn(2, 3).half(),
    "bfloat": randn(3, 2).bfloat16(),
    "counts": torch.arange(-3, 5, dtype=torch.int64).reshape(2, 4),
    "int32": torch.tensor([-2147483648, -1, 0, 2147483647], dtype=torch.int32),
    "int16": torch.tensor([[-32768, 7], [300, 32767]], dtype=torch.int16),
    "int8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
    "uint8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
    "mask": torch.tensor([True, False, True, True]),
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(0, 3),
    "big": big,
    "view_of_big": big[2:4, 1:4],  # storage offset 11, row stride 5: strided
    "row_of_big": big[3],  # storage offset 15, contiguous: part of a storage
    "transposed": randn(3, 4).t(),  # the whole storage, non-contiguous
    "parameter": torch.nn.Parameter(randn(2)),  # pickled with torch._utils._rebuild_parameter
}
extra["tied"] = extra["big"]  # the same tensor under two names
for name, tensor in extra.items():
    state[name] = tensor
assert state["view_of_big"].storage_offset() == 11 and not state["view_of_big"].is_contiguous()
assert not state["transposed"].is_contiguous()
torch.save(state, OUT / "state_dict.bin")

# Every zip64 record forced: Python's zipfile writes them for sizes and offsets above ZIP64_LIMIT
# and for more than ZIP_FILECOUNT_LIMIT entries.
limits = (zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT)
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = -1, -1
try:
    with zipfile.ZipFile(OUT / "state_dict.bin") as source, zipfile.ZipFile(OUT / "state_dict_zip64.bin", "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0)), source.read(info.filename))
finally:
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = limits
zip64 = bytearray((OUT / "state_dict_zip64.bin").read_bytes())
assert b"PK\x06\x06" in zip64 and b"PK\x06\x07" in zip64, "no zip64 end records"
# zipfile still writes the real counts and offsets into the classic end record; set them to the
# "see the zip64 record" markers (APPNOTE 4.4.1.4), as writers of archives over 4 GiB must, so a
# reader has to follow the zip64 locator.
end = zip64.rfind(b"PK\x05\x06")
assert end == len(zip64) - 22
zip64[end + 8:end + 20] = b"\xff" * 12
(OUT / "state_dict_zip64.bin").write_bytes(zip64)
with zipfile.ZipFile(OUT / "state_dict_zip64.bin") as check:
    assert check.testzip() is None
# weights_only=True (torch.load's default since torch 2.6, named here): PyTorch's restricted
# unpickler, so the archive needs nothing beyond what the Swift reader accepts either.
reloaded = torch.load(OUT / "state_dict_zip64.bin", weights_only=True)
assert all(torch.equal(reloaded[k], state[k]) for k in state), "torch.load reads the zip64 copy differently"

nested = {
    "encoder": collections.OrderedDict(weight=randn(2, 3), bias=randn(3)),
    "head": {"weight": randn(1, 3), "inner": {"scale": torch.tensor([0.5], dtype=torch.float16)}},
}
torch.save(nested, OUT / "nested.pt")

safetensors.torch.save_file(
    {name: t.detach().contiguous().clone() for name, t in state.items() if name != "tied"},
    OUT / "tensors.safetensors",
    metadata={"format": "pt"},
)

# Names that need JSON escapes (serde_json's: \n \" \b \f \\, \u00XX for other control
# characters; DEL, "/" and non-ASCII as they are) and names of one dtype whose UTF-8 byte order
# differs from a case-insensitive or locale order; one I64 tensor before them.
safetensors.torch.save_file(
    {
        "b": torch.tensor([1.0]), "a": torch.tensor([2.0]), "Z": torch.tensor([3.0]), "é": torch.tensor([4.0]),
        "e": torch.tensor([5.0]), "q\n\"\x01\x08\x0c\x7f/\\": torch.tensor([6.0]), "id": torch.tensor([7]),
    },
    OUT / "names.safetensors",
    metadata={"note": "tab\there \\ é"},
)
names_header = (OUT / "names.safetensors").read_bytes()
assert b'"q\\n\\"\\u0001\\b\\f\x7f/\\\\"' in names_header, names_header[:200]


def describe(tensors):
    return {
        name: {
            "dtype": str(t.dtype).replace("torch.", ""),
            "shape": list(t.shape),
            "values": [float(v) for v in t.detach().to(torch.float64).flatten().tolist()],
        }
        for name, t in tensors.items()
    }


flat = {}
for outer, inner in nested.items():
    for name, t in inner.items():
        if isinstance(t, dict):
            flat.update({f"{outer}.{name}.{k}": v for k, v in t.items()})
        else:
            flat[f"{outer}.{name}"] = t
expected = {"state_dict": describe(state), "nested": describe(flat)}
(OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
total = 0
for path in sorted(OUT.iterdir()):
    total += path.stat().st_size
    print(f"{path.name:28} {path.stat().st_size:6} bytes")
print(f"{'total':28} {total:6} bytes")
