"""The Python side of benchmarks/torch_step.sh: one training step of a BERT-style post-LayerNorm
encoder (6 layers, 384 wide, 12 heads of 32, feed-forward 1536, vocabulary 30522, dropout 0.1)
with a 3-class head on the first token, cross-entropy, backward, AdamW with weight-decay groups
and zero grad, written with torch.nn.functional ops (linear, layer_norm, softmax, gelu,
dropout, embedding, cross_entropy; no nn.TransformerEncoder, no fused attention) in the order
Hugging Face's BertLayer (eager attention) computes it. benchmarks/TorchStep (Encoder.swift,
main.swift) is the same step, op for op, driven from Swift on the same libtorch: same shapes,
same options, same seeds (so both start from the same weights, batch and dropout masks), same
JSON output.

Run:  .venv/bin/python benchmarks/torch_step.py [--batch 8] [--length 128] [--layers 6]
          [--steps 20] [--warmup 3] [--threads 1] [--json]
      (or benchmarks/torch_step.sh, which runs both sides interleaved and prints the ratio)
Pinned (tools/requirements.txt): torch 2.15.0 from PyPI, the wheel whose libtorch the Swift side
links (scripts/setup-libtorch.sh), numpy 1.26.4; .venv made by tools/setup-python.sh.
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn.functional as F

# The libtorch version arena is pinned to (Package.swift's pinnedTorch, scripts/setup-libtorch.sh).
PINNED_TORCH = "2.15."
assert torch.__version__.startswith(PINNED_TORCH), f"torch {torch.__version__}, not the pinned {PINNED_TORCH}x: run tools/setup-python.sh"

VOCABULARY, MAX_POSITIONS, HIDDEN, HEADS, HEAD_SIZE, INTERMEDIATE, CLASSES = 30522, 512, 384, 12, 32, 1536, 3
DROPOUT, LAYER_NORM_EPS, INIT_STD = 0.1, 1e-12, 0.02


def positive(minimum):
    def parse(text):
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
for name, default in [("batch", 8), ("length", 128), ("layers", 6), ("steps", 20), ("threads", 1)]:
    parser.add_argument(f"--{name}", type=positive(1), default=default)
parser.add_argument("--warmup", type=positive(0), default=3)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
if args.length > MAX_POSITIONS:
    parser.error(f"--length must be at most {MAX_POSITIONS} (the position table), got {args.length}")
torch.set_num_threads(args.threads)


class Parameters:
    """Creates the parameters in Encoder.swift's order: weight matrices randn * 0.02 from one
    seeded generator, biases zero, LayerNorm weights one."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)
        self.named = []

    def add(self, name, tensor):
        tensor.requires_grad_()
        self.named.append((name, tensor))
        return tensor

    def normal(self, name, shape):
        return self.add(name, torch.randn(shape, generator=self.generator) * INIT_STD)

    def zeros(self, name, shape):
        return self.add(name, torch.zeros(shape))

    def ones(self, name, shape):
        return self.add(name, torch.ones(shape))

    def dense(self, name, inputs, outputs):
        return self.normal(f"{name}.weight", [outputs, inputs]), self.zeros(f"{name}.bias", [outputs])

    def layer_norm(self, name):
        return self.ones(f"{name}.weight", [HIDDEN]), self.zeros(f"{name}.bias", [HIDDEN])


def make_encoder(layers, seed):
    p = Parameters(seed)
    model = {
        "word": p.normal("embeddings.word_embeddings.weight", [VOCABULARY, HIDDEN]),
        "position": p.normal("embeddings.position_embeddings.weight", [MAX_POSITIONS, HIDDEN]),
        "norm": p.layer_norm("embeddings.LayerNorm"),
        "layers": [],
    }
    for i in range(layers):
        prefix = f"encoder.layer.{i}"
        model["layers"].append({
            "query": p.dense(f"{prefix}.attention.self.query", HIDDEN, HIDDEN),
            "key": p.dense(f"{prefix}.attention.self.key", HIDDEN, HIDDEN),
            "value": p.dense(f"{prefix}.attention.self.value", HIDDEN, HIDDEN),
            "attention_output": p.dense(f"{prefix}.attention.output.dense", HIDDEN, HIDDEN),
            "attention_norm": p.layer_norm(f"{prefix}.attention.output.LayerNorm"),
            "intermediate": p.dense(f"{prefix}.intermediate.dense", HIDDEN, INTERMEDIATE),
            "output": p.dense(f"{prefix}.output.dense", INTERMEDIATE, HIDDEN),
            "output_norm": p.layer_norm(f"{prefix}.output.LayerNorm"),
        })
    model["classifier"] = p.dense("classifier", HIDDEN, CLASSES)
    return model, p.named


def layer_norm(x, weights):
    return F.layer_norm(x, [HIDDEN], weights[0], weights[1], LAYER_NORM_EPS)


def encoder_layer(layer, hidden, additive_mask, batch, length):
    def heads(projected):
        return projected.view(batch, length, HEADS, HEAD_SIZE).permute(0, 2, 1, 3)

    q = heads(F.linear(hidden, *layer["query"]))
    k = heads(F.linear(hidden, *layer["key"]))
    v = heads(F.linear(hidden, *layer["value"]))
    scores = torch.matmul(q, k.transpose(-1, -2))
    scores = scores / math.sqrt(HEAD_SIZE)
    scores = scores + additive_mask
    probabilities = F.softmax(scores, dim=-1)
    probabilities = F.dropout(probabilities, DROPOUT, training=True)
    context = torch.matmul(probabilities, v).permute(0, 2, 1, 3).contiguous().view(batch, length, HIDDEN)
    attended = F.dropout(F.linear(context, *layer["attention_output"]), DROPOUT, training=True)
    after_attention = layer_norm(attended + hidden, layer["attention_norm"])

    expanded = F.gelu(F.linear(after_attention, *layer["intermediate"]))
    contracted = F.dropout(F.linear(expanded, *layer["output"]), DROPOUT, training=True)
    return layer_norm(contracted + after_attention, layer["output_norm"])


def encoder_loss(model, input_ids, position_ids, attention_mask, labels, batch, length):
    words = F.embedding(input_ids, model["word"], padding_idx=0)
    positions = F.embedding(position_ids, model["position"])
    hidden = F.dropout(layer_norm(words + positions, model["norm"]), DROPOUT, training=True)
    mask = attention_mask.view(batch, 1, 1, length).to(torch.float32)
    additive_mask = (1.0 - mask) * torch.finfo(torch.float32).min
    for layer in model["layers"]:
        hidden = encoder_layer(layer, hidden, additive_mask, batch, length)
    logits = F.linear(hidden[:, 0], *model["classifier"])
    return F.cross_entropy(logits, labels)


def minor_page_faults():  # fresh pages the kernel had to map (and zero)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def no_decay(name):  # as ParameterGroup.isExemptFromWeightDecay
    return name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name or "norm." in name


batch, length = args.batch, args.length
model, named = make_encoder(args.layers, seed=0)
optimizer = torch.optim.AdamW([
    {"params": [t for n, t in named if not no_decay(n)], "weight_decay": 0.01},
    {"params": [t for n, t in named if no_decay(n)], "weight_decay": 0.0},
], lr=2e-5)

g = torch.Generator().manual_seed(1)
input_ids = torch.randint(0, VOCABULARY, (batch, length), generator=g)
labels = torch.randint(0, CLASSES, (batch,), generator=g)
# The last quarter of every other row is padding, as in a real batch.
attention_mask = torch.ones(batch, length, dtype=torch.int64)
attention_mask[1::2, length * 3 // 4:] = 0
position_ids = torch.arange(0, length).view(1, length)
torch.manual_seed(2)

forward_times, backward_times, optimizer_times, totals, losses = [], [], [], [], []
faults, forward_faults, backward_faults, optimizer_faults = [], [], [], []
for step in range(args.warmup + args.steps):
    faults_before = minor_page_faults()
    start = time.perf_counter()
    loss = encoder_loss(model, input_ids, position_ids, attention_mask, labels, batch, length)
    forward_done = time.perf_counter()
    faults_after_forward = minor_page_faults()
    loss.backward()
    backward_done = time.perf_counter()
    faults_after_backward = minor_page_faults()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    value = loss.item()
    end = time.perf_counter()
    faults_at_end = minor_page_faults()
    if step >= args.warmup:
        faults.append(faults_at_end - faults_before)
        forward_faults.append(faults_after_forward - faults_before)
        backward_faults.append(faults_after_backward - faults_after_forward)
        optimizer_faults.append(faults_at_end - faults_after_backward)
        forward_times.append(forward_done - start)
        backward_times.append(backward_done - forward_done)
        optimizer_times.append(end - backward_done)
        totals.append(end - start)
        losses.append(value)
    if step == 0:
        first_loss = value

median = statistics.median(totals)
mean = sum(totals) / len(totals)
tokens_per_s = batch * length / median
if args.json:
    print(json.dumps({
        "side": "python", "libtorch": torch.__version__, "batch": batch, "length": length, "layers": args.layers,
        "steps": args.steps, "warmup": args.warmup, "threads": args.threads,
        "median_s": median, "mean_s": mean, "tokens_per_s": tokens_per_s,
        "forward_median_s": statistics.median(forward_times),
        "backward_median_s": statistics.median(backward_times),
        "optimizer_median_s": statistics.median(optimizer_times),
        "page_faults_per_step": statistics.median(faults),
        "forward_page_faults": statistics.median(forward_faults),
        "backward_page_faults": statistics.median(backward_faults),
        "optimizer_page_faults": statistics.median(optimizer_faults),
        "first_loss": first_loss, "losses": losses,
    }))
else:
    print(f"python: median {median:.3f} s/step (forward {statistics.median(forward_times):.3f}, "
          f"backward {statistics.median(backward_times):.3f}, optimizer {statistics.median(optimizer_times):.3f}), "
          f"mean {mean:.3f} s, {tokens_per_s:.0f} tokens/s, {args.threads} thread(s), first loss {first_loss:.4f}")
