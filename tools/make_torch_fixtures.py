"""Writes Tests/TorchTests/Fixtures/ops.json, the reference for Tests/TorchTests/OpParityTests.swift.

Run from the repository root:  .venv/bin/python tools/make_torch_fixtures.py
Pinned: torch 2.15.0 from PyPI (the same wheel whose libtorch the Swift package links; asserted
below) and numpy 1.26.4 (tools/requirements.txt), in the .venv made by tools/setup-python.sh.
CPU, one thread.

One case per op and per important variant. A case holds
  inputs   [{dtype, shape, values}]   float inputs drawn from one seeded torch.Generator
  outputs  [{dtype, shape, values}]   what PyTorch computes (ops with several results list each)
  weights  [W or null per output]     fixed seeded random tensors of the float outputs
  grads    [grad or null per input]   d/d input of  sum_k (outputs[k] * weights[k]).sum()
Values are JSON numbers: float32 values written as the repr of their exact float64 value, so
Swift parses them back bit for bit. Each case name has a closure of the same name in
OpParityTests.swift; the test fails on a case without one, so nothing is skipped silently.
Random masks of dropout are not compared (p = 0 and p = 1 are deterministic and are).
"""
import json
import pathlib

import numpy
import torch
import torch.nn.functional as F

assert torch.__version__.split("+")[0] == "2.15.0", f"expected torch 2.15.0 (the linked libtorch), got {torch.__version__}"
torch.set_num_threads(1)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/TorchTests/Fixtures/ops.json"
g = torch.Generator().manual_seed(2024)


def randn(*shape):
    return torch.randn(*shape, generator=g)


def positive(*shape):
    """Uniform on [0.1, 2.1): inputs of sqrt, log, division."""
    return torch.rand(*shape, generator=g) * 2 + 0.1


def spread(*shape):
    """Normal with standard deviation 3, values away from whole numbers being common (floor, ceil)."""
    return randn(*shape) * 3


def ints(high, *shape):
    return torch.randint(0, high, shape, generator=g)


def boolean(*shape):
    return torch.rand(*shape, generator=g) > 0.5


def seeded(seed=11):
    return torch.Generator().manual_seed(seed)


def encode(t):
    t = t.detach()
    values = t.flatten().tolist()
    if t.is_floating_point():
        values = [float(v) for v in values]  # float64 repr of the exact value
    elif t.dtype == torch.bool:
        values = [int(v) for v in values]
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": values}


CASES = []


def case(name, inputs, fn, differentiable=True, constant=()):
    """`constant`: positions of float inputs that take no gradient (class weights)."""
    assert name not in {c[0] for c in CASES}, name
    CASES.append((name, inputs, fn, differentiable, constant))


# ---- linear algebra
case("matmul_2d", [randn(3, 4), randn(4, 5)], lambda a, b: a @ b)
case("matmul_batched", [randn(2, 3, 4), randn(2, 4, 5)], lambda a, b: a @ b)
case("matmul_broadcast", [randn(2, 3, 4), randn(4, 5)], lambda a, b: a @ b)
case("matmul_broadcast_batch", [randn(2, 1, 3, 4), randn(3, 4, 2)], lambda a, b: a @ b)
case("matmul_vector", [randn(3, 4), randn(4)], lambda a, b: a @ b)
case("bmm", [randn(2, 3, 4), randn(2, 4, 2)], torch.bmm)
case("linear_bias", [randn(2, 3, 4), randn(5, 4), randn(5)], F.linear)
case("linear_no_bias", [randn(3, 4), randn(5, 4)], lambda x, w: F.linear(x, w))

# ---- arithmetic: tensor-tensor with broadcasting, tensor-scalar, scalar-tensor
case("add_broadcast", [randn(2, 3, 4), randn(4)], lambda a, b: a + b)
case("add_broadcast_both", [randn(3, 1), randn(1, 4)], lambda a, b: a + b)
case("sub_broadcast", [randn(2, 3, 4), randn(3, 1)], lambda a, b: a - b)
case("mul_broadcast", [randn(2, 3, 4), randn(2, 1, 4)], lambda a, b: a * b)
case("div_broadcast", [randn(2, 3, 4), positive(4)], lambda a, b: a / b)
case("add_scalar", [randn(2, 3)], lambda a: a + 2.5)
case("sub_scalar", [randn(2, 3)], lambda a: a - 2.5)
case("mul_scalar", [randn(2, 3)], lambda a: a * 2.5)
case("div_scalar", [randn(2, 3)], lambda a: a / 2.5)
case("scalar_add", [randn(2, 3)], lambda a: 1.5 + a)
case("scalar_sub", [randn(2, 3)], lambda a: 2 - a)
case("scalar_mul", [randn(2, 3)], lambda a: 3 * a)
case("scalar_div", [positive(2, 3)], lambda a: 2 / a)
case("negate", [randn(2, 3)], lambda a: -a)
# A Python number keeps an integer tensor integral when whole, and makes it float32 otherwise.
case("int_add_scalar", [ints(10, 2, 3)], lambda a: a + 2, differentiable=False)
case("int_mul_fraction", [ints(10, 2, 3)], lambda a: a * 0.5, differentiable=False)
case("int_div_scalar", [ints(10, 2, 3)], lambda a: a / 4, differentiable=False)
case("scalar_sub_int", [ints(10, 2, 3)], lambda a: 7 - a, differentiable=False)
case("pow_scalar", [randn(2, 3)], lambda a: a ** 3)
case("pow_scalar_fraction", [positive(2, 3)], lambda a: a ** 0.5)
case("pow_scalar_negative", [positive(2, 3)], lambda a: a ** -2)
case("pow_tensor", [positive(2, 3), randn(2, 3)], lambda a, b: a ** b)
case("pow_tensor_broadcast", [positive(2, 3), randn(3)], lambda a, b: a ** b)
case("maximum", [randn(2, 3), randn(2, 3)], torch.maximum)
case("minimum", [randn(2, 3), randn(2, 3)], torch.minimum)
ties = randn(2, 3)
case("maximum_ties", [ties, torch.where(torch.arange(6).view(2, 3) % 2 == 0, ties, randn(2, 3))], torch.maximum)
case("minimum_broadcast", [randn(2, 3), randn(3)], torch.minimum)

# ---- element-wise functions
for name, fn, make in [
    ("sqrt", torch.sqrt, positive), ("rsqrt", torch.rsqrt, positive), ("exp", torch.exp, randn),
    ("log", torch.log, positive), ("log1p", torch.log1p, positive), ("tanh", torch.tanh, randn),
    ("erf", torch.erf, randn), ("gelu", F.gelu, randn), ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), randn),
    ("relu", F.relu, randn), ("sigmoid", torch.sigmoid, randn), ("sign", torch.sign, randn),
    ("abs", torch.abs, randn), ("floor", torch.floor, spread), ("ceil", torch.ceil, spread),
    ("round", torch.round, spread), ("square", torch.square, randn), ("reciprocal", torch.reciprocal, positive),
    ("sin", torch.sin, spread), ("cos", torch.cos, spread),
]:
    case(name, [make(3, 4)], fn)
case("sign_zero", [torch.tensor([-2.0, 0.0, 3.0, -0.0])], torch.sign)
case("relu_int64", [torch.tensor([-3, 0, 4])], F.relu, differentiable=False)
case("abs_int64", [torch.tensor([-3, 0, 4])], torch.abs, differentiable=False)
case("clamp_min", [randn(3, 4)], lambda a: a.clamp(min=-0.5))
case("clamp_max", [randn(3, 4)], lambda a: a.clamp(max=0.5))
case("clamp_both", [randn(3, 4)], lambda a: a.clamp(-0.5, 0.5))
case("clamp_int64", [torch.tensor([[-5, -1, 0], [3, 9, 4]])], lambda a: a.clamp(0, 4), differentiable=False)
case("remainder_scalar", [spread(3, 4)], lambda a: a.remainder(1.5))
case("floor_divide_scalar", [spread(3, 4)], lambda a: torch.div(a, 1.5, rounding_mode="floor"), differentiable=False)

# ---- softmax, normalisation, embedding, dropout
case("softmax_last", [randn(2, 3, 5)], lambda a: F.softmax(a, dim=-1))
case("softmax_middle", [randn(2, 3, 5)], lambda a: F.softmax(a, dim=1))
case("softmax_first", [randn(2, 3, 5)], lambda a: F.softmax(a, dim=0))
case("softmax_float64", [randn(2, 5)], lambda a: F.softmax(a, dim=-1, dtype=torch.float64))
case("log_softmax_last", [randn(2, 3, 5)], lambda a: F.log_softmax(a, dim=-1))
case("log_softmax_middle", [randn(2, 3, 5)], lambda a: F.log_softmax(a, dim=1))
case("log_softmax_first", [randn(2, 3, 5)], lambda a: F.log_softmax(a, dim=0))
case("layer_norm_affine", [randn(2, 3, 6), randn(6), randn(6)], lambda x, w, b: F.layer_norm(x, (6,), w, b, 1e-5))
case("layer_norm_plain", [randn(2, 3, 6)], lambda x: F.layer_norm(x, (6,), eps=1e-12))
case("layer_norm_weight_only", [randn(2, 3, 6), randn(6)], lambda x, w: F.layer_norm(x, (6,), w, None, 1e-5))
case("layer_norm_two_dims", [randn(2, 3, 4), randn(3, 4), randn(3, 4)], lambda x, w, b: F.layer_norm(x, (3, 4), w, b, 1e-5))
case("embedding", [randn(10, 4), ints(10, 2, 3)], lambda w, i: F.embedding(i, w))
case("embedding_padding", [randn(10, 4), torch.tensor([[0, 3, 0], [5, 0, 9]])], lambda w, i: F.embedding(i, w, padding_idx=0))
# padding_idx=-1 is the last row in PyTorch (F.embedding adds num_embeddings to a negative index).
case("embedding_padding_last", [randn(5, 3), torch.tensor([4, 1, 4, 2])], lambda w, i: F.embedding(i, w, padding_idx=-1))
case("dropout_eval", [randn(3, 4)], lambda a: F.dropout(a, 0.5, training=False))
case("dropout_p0", [randn(3, 4)], lambda a: F.dropout(a, 0.0, training=True))
case("dropout_p1", [randn(3, 4)], lambda a: F.dropout(a, 1.0, training=True))

# ---- masking and indexing
case("masked_fill", [randn(3, 4), boolean(3, 4)], lambda a, m: a.masked_fill(m, -7.0))
case("masked_fill_broadcast", [randn(2, 3, 4), boolean(2, 1, 4)], lambda a, m: a.masked_fill(m, float("-inf")).clamp(min=-1e4))
case("where", [boolean(3, 4), randn(3, 4), randn(3, 4)], torch.where)
case("where_broadcast", [boolean(3, 1), randn(3, 4), randn(4)], torch.where)
case("gather", [randn(3, 5), ints(5, 3, 4)], lambda a, i: torch.gather(a, 1, i))
case("gather_first_dim", [randn(4, 3), ints(4, 2, 3)], lambda a, i: torch.gather(a, 0, i))
case("index_select", [randn(5, 3), torch.tensor([4, 0, 2, 2])], lambda a, i: torch.index_select(a, 0, i))
case("index_select_last_dim", [randn(2, 5), torch.tensor([1, 1, 3])], lambda a, i: torch.index_select(a, 1, i))

# ---- joining and splitting, slicing
case("cat", [randn(2, 3), randn(2, 2)], lambda a, b: torch.cat([a, b], dim=1))
case("cat_three", [randn(1, 3), randn(2, 3), randn(3, 3)], lambda a, b, c: torch.cat([a, b, c]))
case("stack", [randn(2, 3), randn(2, 3)], lambda a, b: torch.stack([a, b], dim=0))
case("stack_last", [randn(2, 3), randn(2, 3), randn(2, 3)], lambda a, b, c: torch.stack([a, b, c], dim=-1))
case("split", [randn(3, 5)], lambda a: list(torch.split(a, 2, dim=1)))
case("chunk", [randn(2, 3, 7)], lambda a: list(torch.chunk(a, 3, dim=2)))
case("narrow", [randn(4, 6)], lambda a: a.narrow(1, 2, 3))
case("slice_step", [randn(4, 7)], lambda a: a[:, 1:6:2])
case("slice_negative_start", [randn(4, 7)], lambda a: a[:, -3:])
case("slice_clipped_end", [randn(4, 7)], lambda a: a[1:100])
case("select", [randn(3, 4, 2)], lambda a: a.select(1, 2))
case("select_negative", [randn(3, 4, 2)], lambda a: a.select(0, -1))
case("subscript_index", [randn(3, 4)], lambda a: a[1])
case("subscript_ranges", [randn(3, 4, 5)], lambda a: a[0:2, 1:3])

# ---- shapes
case("view", [randn(2, 3, 4)], lambda a: a.view(6, 4))
case("view_inferred", [randn(2, 3, 4)], lambda a: a.view(-1, 2))
case("reshape_copy", [randn(3, 4)], lambda a: a.t().reshape(12))
case("permute", [randn(2, 3, 4)], lambda a: a.permute(2, 0, 1))
case("transpose", [randn(2, 3, 4)], lambda a: a.transpose(0, 2))
case("transpose_negative", [randn(2, 3, 4)], lambda a: a.transpose(-1, -2))
case("contiguous", [randn(3, 4)], lambda a: a.t().contiguous())
case("unsqueeze", [randn(3, 4)], lambda a: a.unsqueeze(1))
case("unsqueeze_last", [randn(3, 4)], lambda a: a.unsqueeze(-1))
case("squeeze_dim", [randn(3, 1, 4)], lambda a: a.squeeze(1))
case("squeeze_all", [randn(1, 3, 1, 4)], lambda a: a.squeeze())
case("expand", [randn(3, 1)], lambda a: a.expand(3, 4))
case("expand_new_dims", [randn(3, 1)], lambda a: a.expand(2, -1, 4))
case("repeat", [randn(2, 3)], lambda a: a.repeat(2, 1, 2))
case("flatten", [randn(2, 3, 4)], lambda a: a.flatten(1))
case("flatten_all", [randn(2, 3, 4)], lambda a: a.flatten())
case("flatten_leading", [randn(2, 3, 4)], lambda a: a.flatten(0, 1))
case("copy_broadcast", [randn(3)], lambda a: torch.zeros(2, 3).copy_(a), differentiable=False)
case("copy_converting", [spread(2, 3)], lambda a: torch.zeros(2, 3, dtype=torch.int64).copy_(a), differentiable=False)
case("fill", [], lambda: torch.zeros(2, 3).fill_(-2.5), differentiable=False)
case("as_strided", [randn(3, 4)], lambda a: a.as_strided((2, 2), (4, 1), 1))
case("clone", [randn(3, 4)], lambda a: a.clone())

# ---- reductions
case("sum_dims_keepdim", [randn(2, 3, 4)], lambda a: a.sum(dim=(0, 2), keepdim=True))
case("sum_dim", [randn(2, 3, 4)], lambda a: a.sum(dim=-1))
case("sum_all", [randn(2, 3, 4)], lambda a: a.sum())
case("sum_all_keepdim", [randn(2, 3)], lambda a: a.sum(dim=[], keepdim=True))  # [] is every dim (torch 1.13 and 2.15 alike)
case("sum_float64", [randn(2, 3)], lambda a: a.sum(dim=0, dtype=torch.float64))
case("sum_int64", [ints(10, 2, 3)], lambda a: a.sum(dim=1), differentiable=False)
case("mean_dim", [randn(2, 3, 4)], lambda a: a.mean(dim=1))
case("mean_dims_keepdim", [randn(2, 3, 4)], lambda a: a.mean(dim=(1, 2), keepdim=True))
case("mean_all", [randn(2, 3, 4)], lambda a: a.mean())
case("mean_all_keepdim", [randn(2, 3)], lambda a: a.mean(dim=[], keepdim=True))
case("max_dim", [randn(3, 5)], lambda a: list(a.max(dim=1)))
case("max_dim_keepdim", [randn(2, 3, 4)], lambda a: list(a.max(dim=-1, keepdim=True)))
case("min_dim", [randn(3, 5)], lambda a: list(a.min(dim=0, keepdim=True)))
case("max_all", [randn(3, 5)], lambda a: a.max())
case("min_all", [randn(3, 5)], lambda a: a.min())
case("argmax", [randn(3, 5)], lambda a: a.argmax(dim=1), differentiable=False)
case("argmax_keepdim", [randn(2, 3, 4)], lambda a: a.argmax(dim=0, keepdim=True), differentiable=False)

# ---- losses
logits, targets = randn(6, 3), ints(3, 6)
case("cross_entropy_mean", [logits, targets], lambda x, t: F.cross_entropy(x, t))
case("cross_entropy_sum", [logits, targets], lambda x, t: F.cross_entropy(x, t, reduction="sum"))
case("cross_entropy_none", [logits, targets], lambda x, t: F.cross_entropy(x, t, reduction="none"))
case("cross_entropy_weighted", [logits, targets, positive(3)], lambda x, t, w: F.cross_entropy(x, t, weight=w), constant=(2,))
case("cross_entropy_weighted_none", [logits, targets, positive(3)], lambda x, t, w: F.cross_entropy(x, t, weight=w, reduction="none"), constant=(2,))
case("cross_entropy_smoothed", [logits, targets], lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1))
case("cross_entropy_smoothed_sum", [logits, targets], lambda x, t: F.cross_entropy(x, t, reduction="sum", label_smoothing=0.1))
case("cross_entropy_weighted_smoothed", [logits, targets, positive(3)], lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1), constant=(2,))
ignored = torch.tensor([0, -100, 2, 1, -100, 0])
case("cross_entropy_ignore", [logits, ignored], lambda x, t: F.cross_entropy(x, t, ignore_index=-100))
case("cross_entropy_ignore_other", [logits, targets], lambda x, t: F.cross_entropy(x, t, ignore_index=int(targets[0])))
case("cross_entropy_ignore_smoothed_weighted", [logits, ignored, positive(3)],
     lambda x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=-100, label_smoothing=0.1), constant=(2,))
case("cross_entropy_probabilities", [logits, F.softmax(randn(6, 3), dim=1)], lambda x, p: F.cross_entropy(x, p))
case("cross_entropy_sequence", [randn(2, 3, 4), ints(3, 2, 4)], lambda x, t: F.cross_entropy(x, t))
case("mse_loss", [randn(3, 4), randn(3, 4)], F.mse_loss)
case("mse_loss_sum", [randn(3, 4), randn(3, 4)], lambda a, b: F.mse_loss(a, b, reduction="sum"))
case("mse_loss_none", [randn(3, 4), randn(3, 4)], lambda a, b: F.mse_loss(a, b, reduction="none"))

# ---- conversions
case("float16_round_trip", [randn(3, 4)], lambda a: a.half().float())
case("bfloat16_round_trip", [randn(3, 4)], lambda a: a.bfloat16().float())
case("to_int64", [spread(3, 4)], lambda a: a.long(), differentiable=False)
case("to_float64", [randn(3, 4)], lambda a: a.double())
case("int64_to_float32", [ints(100, 3, 4) - 50], lambda a: a.float(), differentiable=False)
case("bool_to_float32", [boolean(3, 4)], lambda a: a.float(), differentiable=False)
case("float32_to_bool", [torch.tensor([0.0, -0.0, 0.5, -2.0])], lambda a: a.bool(), differentiable=False)

# ---- comparisons and logic
a, b = torch.tensor([1.0, 2.0, 3.0, 2.0]), torch.tensor([2.0, 2.0, 1.0, 5.0])
for name, fn in [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt), ("ge", torch.ge)]:
    case(name, [a, b], fn, differentiable=False)
    case(f"{name}_scalar", [a], lambda x, fn=fn: fn(x, 2.0), differentiable=False)
case("lt_broadcast", [randn(3, 1), randn(4)], torch.lt, differentiable=False)
case("eq_int64", [torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3])], torch.eq, differentiable=False)
case("logical_and", [boolean(3, 4), boolean(3, 4)], torch.logical_and, differentiable=False)
case("logical_or", [boolean(3, 4), boolean(3, 4)], torch.logical_or, differentiable=False)
case("logical_not", [boolean(3, 4)], torch.logical_not, differentiable=False)

# ---- creation
case("arange", [], lambda: torch.arange(2, 11, 3), differentiable=False)
case("arange_end_only", [], lambda: torch.arange(5), differentiable=False)
case("arange_float", [], lambda: torch.arange(0.0, 1.0, 0.25), differentiable=False)
case("arange_fractional_end", [], lambda: torch.arange(0, 2.5), differentiable=False)  # float32: 0, 1, 2
case("zeros", [], lambda: torch.zeros(2, 3), differentiable=False)
case("ones", [], lambda: torch.ones(3), differentiable=False)
case("ones_int64", [], lambda: torch.ones(2, 2, dtype=torch.int64), differentiable=False)
case("full", [], lambda: torch.full((2, 3), -1.5), differentiable=False)
case("full_bool", [], lambda: torch.full((2,), True), differentiable=False)
case("scalar", [], lambda: torch.tensor(0.25), differentiable=False)
# torch.Generator().manual_seed(S): Swift's Generator(seed: S) must give the same numbers.
case("rand_seeded", [], lambda: torch.rand(3, 4, generator=seeded()), differentiable=False)
case("rand_seeded_float64", [], lambda: torch.rand(5, dtype=torch.float64, generator=seeded(7)), differentiable=False)
case("randn_seeded", [], lambda: torch.randn(3, 4, generator=seeded()), differentiable=False)
case("randn_seeded_small", [], lambda: torch.randn(5, generator=seeded(3)), differentiable=False)  # < 16: scalar path
case("randn_seeded_large", [], lambda: torch.randn(6, 7, generator=seeded(3)), differentiable=False)  # >= 16: vector path
case("randint_seeded", [], lambda: torch.randint(0, 10, (3, 4), generator=seeded()), differentiable=False)
case("randint_seeded_offset", [], lambda: torch.randint(-3, 7, (8,), generator=seeded(5)), differentiable=False)
case("randperm_seeded", [], lambda: torch.randperm(10, generator=seeded()), differentiable=False)
case("randperm_seeded_long", [], lambda: torch.randperm(40, generator=seeded(9)), differentiable=False)


def one_stream():
    """Successive draws from one generator: its state must advance as PyTorch's does."""
    stream = seeded(21)
    return [torch.rand(3, generator=stream), torch.randn(4, generator=stream),
            torch.randint(0, 5, (3,), generator=stream), torch.randperm(5, generator=stream),
            torch.rand(2, generator=stream)]


case("generator_stream", [], one_stream, differentiable=False)

# ---- fused attention (appended last, so the inputs of the cases above are unchanged)
# F.scaled_dot_product_attention as BertSdpaSelfAttention calls it: [batch, heads, length, head]
# with an additive [batch, 1, 1, length] padding mask; also unmasked, causal, a scale, and a
# boolean mask.
_padding = torch.tensor([[0.0, 0.0, 0.0, -3.4028234663852886e38, -3.4028234663852886e38], [0.0] * 5]).view(2, 1, 1, 5)
case("sdpa_additive_mask", [randn(2, 3, 5, 4), randn(2, 3, 5, 4), randn(2, 3, 5, 4), _padding],
     lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), constant=(3,))
case("sdpa_plain", [randn(2, 2, 6, 8), randn(2, 2, 6, 8), randn(2, 2, 6, 8)],
     lambda q, k, v: F.scaled_dot_product_attention(q, k, v))
case("sdpa_causal_scaled", [randn(1, 2, 4, 8), randn(1, 2, 4, 8), randn(1, 2, 4, 8)],
     lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.5))
case("sdpa_bool_mask", [randn(2, 1, 3, 4), randn(2, 1, 3, 4), randn(2, 1, 3, 4),
                        torch.tensor([[True, True, False], [True, True, True]]).view(2, 1, 1, 3)],
     lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m))


def run(name, inputs, fn, differentiable, constant):
    leaves = [t.clone().requires_grad_(differentiable and t.is_floating_point() and i not in constant)
              for i, t in enumerate(inputs)]
    result = fn(*leaves)
    outputs = result if isinstance(result, list) else [result]
    weights, loss = [], None
    for out in outputs:
        if out.requires_grad:
            w = torch.randn(out.shape, generator=g)
            weights.append(encode(w))
            term = (out * w).sum()
            loss = term if loss is None else loss + term
        else:
            weights.append(None)
    grads = [None] * len(leaves)
    if loss is not None:
        loss.backward()
        grads = [encode(t.grad) if t.requires_grad else None for t in leaves]
        assert all(t.grad is not None for t in leaves if t.requires_grad), name
    elif differentiable and any(t.requires_grad for t in leaves):
        raise AssertionError(f"{name}: marked differentiable but no output requires grad")
    return {"name": name, "inputs": [encode(t) for t in inputs], "outputs": [encode(o) for o in outputs],
            "weights": weights, "grads": grads}


records = [run(*c) for c in CASES]
OUT.write_text(json.dumps({"torch": torch.__version__, "numpy": numpy.__version__, "cases": records}, indent=None) + "\n")
size = OUT.stat().st_size
assert size < 1_500_000, size
print(f"wrote {OUT}: {len(records)} cases, {size} bytes")
