"""Writes Tests/TorchTests/Fixtures/ops.json: for every op the Torch module wraps, inputs, the
output PyTorch computes and, for differentiable ops, the gradient of (sum_i (output_i * W_i).sum())
with respect to each float input (W_i fixed random tensors, stored too).

Run: .venv/bin/python tools/make_torch_fixtures.py
Pinned: Debian python3-torch 1.13 (the same libtorch the Swift code links), numpy 1.26.4.
Each case name here has a closure of the same name in Tests/TorchTests/OpParityTests.swift; the
test fails on a case without one, so nothing is skipped silently.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

assert torch.__version__.startswith("1.13"), torch.__version__
torch.set_num_threads(1)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/TorchTests/Fixtures/ops.json"
g = torch.Generator().manual_seed(2024)


def randn(*shape):
    return torch.randn(*shape, generator=g)


def positive(*shape):
    return torch.rand(*shape, generator=g) * 2 + 0.1


def ints(high, *shape):
    return torch.randint(0, high, shape, generator=g)


def boolean(*shape):
    return torch.rand(*shape, generator=g) > 0.5


def encode(t):
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "values": [float(v) if t.is_floating_point() else int(v) for v in t.detach().flatten().tolist()]}


CASES = []


def case(name, inputs, fn, differentiable=True, constant=()):
    """`constant`: positions of float inputs that take no gradient (class weights)."""
    CASES.append((name, inputs, fn, differentiable, constant))


# Linear algebra
case("matmul_2d", [randn(3, 4), randn(4, 5)], lambda a, b: a @ b)
case("matmul_batched", [randn(2, 3, 4), randn(2, 4, 5)], lambda a, b: a @ b)
case("matmul_broadcast", [randn(2, 3, 4), randn(4, 5)], lambda a, b: a @ b)
case("bmm", [randn(2, 3, 4), randn(2, 4, 2)], torch.bmm)
case("linear_bias", [randn(2, 3, 4), randn(5, 4), randn(5)], F.linear)
case("linear_no_bias", [randn(3, 4), randn(5, 4)], lambda x, w: F.linear(x, w))
# Broadcasting arithmetic
case("add_broadcast", [randn(2, 3, 4), randn(4)], lambda a, b: a + b)
case("sub_broadcast", [randn(2, 3, 4), randn(3, 1)], lambda a, b: a - b)
case("mul_broadcast", [randn(2, 3, 4), randn(2, 1, 4)], lambda a, b: a * b)
case("div_broadcast", [randn(2, 3, 4), positive(4)], lambda a, b: a / b)
case("add_scalar", [randn(2, 3)], lambda a: a + 2.5)
case("sub_scalar", [randn(2, 3)], lambda a: a - 2.5)
case("mul_scalar", [randn(2, 3)], lambda a: a * 2.5)
case("div_scalar", [randn(2, 3)], lambda a: a / 2.5)
case("scalar_sub", [randn(2, 3)], lambda a: 2 - a)
case("scalar_div", [positive(2, 3)], lambda a: 2 / a)
case("scalar_add", [randn(2, 3)], lambda a: 1.5 + a)
case("scalar_mul", [randn(2, 3)], lambda a: 3 * a)
case("negate", [randn(2, 3)], lambda a: -a)
case("pow_scalar", [positive(2, 3)], lambda a: a ** 3)
case("pow_tensor", [positive(2, 3), randn(2, 3)], lambda a, b: a ** b)
case("maximum", [randn(2, 3), randn(2, 3)], torch.maximum)
case("minimum", [randn(2, 3), randn(2, 3)], torch.minimum)
# Element-wise functions
for name, fn, make in [
    ("sqrt", torch.sqrt, positive), ("rsqrt", torch.rsqrt, positive), ("exp", torch.exp, randn),
    ("log", torch.log, positive), ("log1p", torch.log1p, positive), ("tanh", torch.tanh, randn),
    ("erf", torch.erf, randn), ("gelu", F.gelu, randn), ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), randn),
    ("relu", F.relu, randn), ("sigmoid", torch.sigmoid, randn), ("sign", torch.sign, randn),
    ("abs", torch.abs, randn), ("floor", torch.floor, lambda *s: randn(*s) * 3), ("ceil", torch.ceil, lambda *s: randn(*s) * 3),
    ("square", torch.square, randn), ("reciprocal", torch.reciprocal, positive),
]:
    case(name, [make(3, 4)], fn)
case("clamp_min", [randn(3, 4)], lambda a: a.clamp(min=-0.5))
case("clamp_max", [randn(3, 4)], lambda a: a.clamp(max=0.5))
case("clamp_both", [randn(3, 4)], lambda a: a.clamp(-0.5, 0.5))
# Normalisation and activations
case("softmax_last", [randn(2, 3, 5)], lambda a: F.softmax(a, dim=-1))
case("softmax_middle", [randn(2, 3, 5)], lambda a: F.softmax(a, dim=1))
case("log_softmax_last", [randn(2, 3, 5)], lambda a: F.log_softmax(a, dim=-1))
case("log_softmax_first", [randn(2, 3, 5)], lambda a: F.log_softmax(a, dim=0))
case("layer_norm_affine", [randn(2, 3, 6), randn(6), randn(6)], lambda x, w, b: F.layer_norm(x, (6,), w, b, 1e-5))
case("layer_norm_plain", [randn(2, 3, 6)], lambda x: F.layer_norm(x, (6,), eps=1e-12))
case("embedding", [randn(10, 4), ints(10, 2, 3)], lambda w, i: F.embedding(i, w))
case("embedding_padding", [randn(10, 4), torch.tensor([[0, 3, 0], [5, 0, 9]])], lambda w, i: F.embedding(i, w, padding_idx=0))
case("dropout_eval", [randn(3, 4)], lambda a: F.dropout(a, 0.5, training=False))
case("dropout_p0", [randn(3, 4)], lambda a: F.dropout(a, 0.0, training=True))
case("dropout_p1", [randn(3, 4)], lambda a: F.dropout(a, 1.0, training=True))
case("masked_fill", [randn(3, 4), boolean(3, 4)], lambda a, m: a.masked_fill(m, -7.0))
case("where", [boolean(3, 4), randn(3, 4), randn(3, 4)], torch.where)
case("gather", [randn(3, 5), ints(5, 3, 4)], lambda a, i: torch.gather(a, 1, i))
case("index_select", [randn(5, 3), torch.tensor([4, 0, 2, 2])], lambda a, i: torch.index_select(a, 0, i))
# Joining and splitting
case("cat", [randn(2, 3), randn(2, 2)], lambda a, b: torch.cat([a, b], dim=1))
case("stack", [randn(2, 3), randn(2, 3)], lambda a, b: torch.stack([a, b], dim=0))
case("split", [randn(3, 5)], lambda a: list(torch.split(a, 2, dim=1)))
case("chunk", [randn(2, 3, 7)], lambda a: list(torch.chunk(a, 3, dim=2)))
case("narrow", [randn(4, 6)], lambda a: a.narrow(1, 2, 3))
case("slice_step", [randn(4, 7)], lambda a: a[:, 1:6:2])
case("select", [randn(3, 4, 2)], lambda a: a.select(1, 2))
# Shapes
case("view", [randn(2, 3, 4)], lambda a: a.view(6, 4))
case("reshape_copy", [randn(3, 4)], lambda a: a.t().reshape(12))
case("permute", [randn(2, 3, 4)], lambda a: a.permute(2, 0, 1))
case("transpose", [randn(2, 3, 4)], lambda a: a.transpose(0, 2))
case("contiguous", [randn(3, 4)], lambda a: a.t().contiguous())
case("unsqueeze", [randn(3, 4)], lambda a: a.unsqueeze(1))
case("squeeze_dim", [randn(3, 1, 4)], lambda a: a.squeeze(1))
case("squeeze_all", [randn(1, 3, 1, 4)], lambda a: a.squeeze())
case("expand", [randn(3, 1)], lambda a: a.expand(3, 4))
case("repeat", [randn(2, 3)], lambda a: a.repeat(2, 1, 2))
case("flatten", [randn(2, 3, 4)], lambda a: a.flatten(1))
# Reductions
case("sum_dims", [randn(2, 3, 4)], lambda a: a.sum(dim=(0, 2), keepdim=True))
case("sum_all", [randn(2, 3, 4)], lambda a: a.sum())
case("mean_dim", [randn(2, 3, 4)], lambda a: a.mean(dim=1))
case("mean_all", [randn(2, 3, 4)], lambda a: a.mean())
case("max_dim", [randn(3, 5)], lambda a: list(a.max(dim=1)))
case("min_dim", [randn(3, 5)], lambda a: list(a.min(dim=0, keepdim=True)))
case("max_all", [randn(3, 5)], lambda a: a.max())
case("argmax", [randn(3, 5)], lambda a: a.argmax(dim=1), differentiable=False)
# Losses
logits, targets = randn(6, 3), ints(3, 6)
case("cross_entropy_mean", [logits, targets], lambda x, t: F.cross_entropy(x, t))
case("cross_entropy_sum", [logits, targets], lambda x, t: F.cross_entropy(x, t, reduction="sum"))
case("cross_entropy_none", [logits, targets], lambda x, t: F.cross_entropy(x, t, reduction="none"))
case("cross_entropy_weighted", [logits, targets, positive(3)], lambda x, t, w: F.cross_entropy(x, t, weight=w), constant=(2,))
case("cross_entropy_smoothed", [logits, targets], lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1))
case("cross_entropy_weighted_smoothed", [logits, targets, positive(3)], lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1), constant=(2,))
case("cross_entropy_ignore", [logits, torch.tensor([0, -100, 2, 1, -100, 0])], lambda x, t: F.cross_entropy(x, t, ignore_index=-100))
case("mse_loss", [randn(3, 4), randn(3, 4)], F.mse_loss)
# Conversions
case("float16_round_trip", [randn(3, 4)], lambda a: a.half().float())
case("bfloat16_round_trip", [randn(3, 4)], lambda a: a.bfloat16().float())
case("to_int64", [randn(3, 4) * 3], lambda a: a.long(), differentiable=False)
case("to_float64", [randn(3, 4)], lambda a: a.double())
# Comparisons and logic
a, b = torch.tensor([1.0, 2.0, 3.0, 2.0]), torch.tensor([2.0, 2.0, 1.0, 5.0])
for name, fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt), ("ge", torch.ge)]:
    case(name, [a, b], fn, differentiable=False)
case("eq_scalar", [a], lambda x: x == 2.0, differentiable=False)
case("logical_and", [boolean(3, 4), boolean(3, 4)], torch.logical_and, differentiable=False)
case("logical_or", [boolean(3, 4), boolean(3, 4)], torch.logical_or, differentiable=False)
case("logical_not", [boolean(3, 4)], torch.logical_not, differentiable=False)
# Creation
case("arange", [], lambda: torch.arange(2, 11, 3), differentiable=False)
case("arange_float", [], lambda: torch.arange(0.0, 1.0, 0.25), differentiable=False)
case("zeros", [], lambda: torch.zeros(2, 3), differentiable=False)
case("ones_int64", [], lambda: torch.ones(2, 2, dtype=torch.int64), differentiable=False)
case("full", [], lambda: torch.full((2, 3), -1.5), differentiable=False)
case("rand_seeded", [], lambda: torch.rand(3, 4, generator=torch.Generator().manual_seed(11)), differentiable=False)
case("randn_seeded", [], lambda: torch.randn(3, 4, generator=torch.Generator().manual_seed(11)), differentiable=False)
case("randint_seeded", [], lambda: torch.randint(0, 10, (3, 4), generator=torch.Generator().manual_seed(11)), differentiable=False)
case("clamp_int64", [torch.tensor([[-5, -1, 0], [3, 9, 4]])], lambda a: a.clamp(0, 4), differentiable=False)
case("randperm_seeded", [], lambda: torch.randperm(10, generator=torch.Generator().manual_seed(11)), differentiable=False)

records = []
for name, inputs, fn, differentiable, constant in CASES:
    leaves = [t.clone().requires_grad_(differentiable and t.is_floating_point() and i not in constant) for i, t in enumerate(inputs)]
    result = fn(*leaves)
    outputs = result if isinstance(result, list) else [result]
    weights, loss = [], None
    for out in outputs:
        if differentiable and out.is_floating_point() and out.requires_grad:
            w = torch.randn(out.shape, generator=g)
            weights.append(encode(w))
            term = (out * w).sum()
            loss = term if loss is None else loss + term
        else:
            weights.append(None)
    grads = []
    if loss is not None:
        loss.backward()
        grads = [encode(t.grad) if t.grad is not None else None for t in leaves]
    records.append({"name": name, "inputs": [encode(t) for t in inputs], "outputs": [encode(o) for o in outputs],
                    "weights": weights, "grads": grads})

OUT.write_text(json.dumps({"torch": torch.__version__, "cases": records}))
print(f"wrote {OUT}: {len(records)} cases, {OUT.stat().st_size} bytes")
