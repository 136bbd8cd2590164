"""Writes Tests/TorchTests/Fixtures/training.json: the reference for the Swift training-loop
parity tests of the Torch module.

- "mlp": a 2-layer MLP (16 -> 32 -> 3, GELU) trained for 100 AdamW steps with two parameter
  groups (weight decay on weights, none on biases), label smoothing 0.1, gradient-norm clipping
  at 1.0 and a learning rate changed before every step (linear warm-up then decay). The initial
  weights, every batch, and the loss and gradient norm of every step are saved, plus the final
  weights.
- "autocast": a small network's output in float32 and under torch.autocast("cpu", bfloat16).

Run: .venv/bin/python tools/make_training_fixtures.py   (after tools/setup-python.sh).
Pinned: torch 2.15.0 from PyPI (the libtorch the Swift code links; asserted), numpy 1.26.4
(tools/requirements.txt). CPU, one thread.
"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F

assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
torch.set_num_threads(1)

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/TorchTests/Fixtures/training.json"


def values(t):
    return [float(v) for v in t.detach().to(torch.float64).flatten().tolist()]


def tensor_json(t):
    return {"shape": list(t.shape), "values": values(t)}


def learning_rate(step, total=100, warmup=10, peak=1e-2):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, (total - step) / (total - warmup))


def mlp():
    g = torch.Generator().manual_seed(1234)
    params = {
        "fc1.weight": torch.randn(32, 16, generator=g) * 0.25,
        "fc1.bias": torch.randn(32, generator=g) * 0.1,
        "fc2.weight": torch.randn(3, 32, generator=g) * 0.25,
        "fc2.bias": torch.randn(3, generator=g) * 0.1,
    }
    initial = {name: tensor_json(p) for name, p in params.items()}
    for p in params.values():
        p.requires_grad_(True)
    batches = []
    for _ in range(100):
        x = torch.randn(8, 16, generator=g)
        y = torch.randint(0, 3, (8,), generator=g)
        batches.append((x, y))
    decay = [params["fc1.weight"], params["fc2.weight"]]
    no_decay = [params["fc1.bias"], params["fc2.bias"]]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": 0.01},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=1e-2,
        betas=(0.9, 0.999),
        eps=1e-8,
    )
    losses, norms, rates = [], [], []
    for step, (x, y) in enumerate(batches):
        lr = learning_rate(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        h = F.gelu(F.linear(x, params["fc1.weight"], params["fc1.bias"]))
        logits = F.linear(h, params["fc2.weight"], params["fc2.bias"])
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        norms.append(float(norm))
        rates.append(lr)
    return {
        "initial": initial,
        "batches": [{"x": values(x), "y": [int(v) for v in y.tolist()]} for x, y in batches],
        "learning_rates": rates,
        "losses": losses,
        "grad_norms": norms,
        "final": {name: tensor_json(p) for name, p in params.items()},
    }


def autocast():
    g = torch.Generator().manual_seed(99)
    w1 = torch.randn(64, 32, generator=g) * 0.2
    b1 = torch.randn(64, generator=g) * 0.1
    w2 = torch.randn(8, 64, generator=g) * 0.2
    x = torch.randn(4, 10, 32, generator=g)

    def forward():
        h = F.linear(x, w1, b1)
        h = F.layer_norm(h, (64,))
        h = F.gelu(h)
        scores = torch.matmul(h, h.transpose(1, 2)) / 8.0
        h = torch.matmul(F.softmax(scores, dim=-1), h)
        return F.linear(h, w2)

    reference = forward()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = forward()
    return {
        "w1": tensor_json(w1),
        "b1": tensor_json(b1),
        "w2": tensor_json(w2),
        "x": tensor_json(x),
        "float32": tensor_json(reference),
        "bfloat16": tensor_json(mixed.float()),
        "bfloat16_dtype": str(mixed.dtype).replace("torch.", ""),
    }


OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({"torch": torch.__version__, "mlp": mlp(), "autocast": autocast()}))
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
