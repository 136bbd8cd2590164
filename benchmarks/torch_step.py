"""The Python side of benchmarks/torch_step.sh: one training step of transformers' BertModel
(eager attention; 6 layers, 384 wide, 12 heads, feed-forward 1536, vocabulary 30522) with a
3-class head on the first token, cross-entropy, backward, AdamW with weight-decay groups and
zero grad — the step benchmarks/TorchStep/main.swift drives from Swift, on the same libtorch.

Run: .venv/bin/python benchmarks/torch_step.py [--batch 8] [--length 128] [--layers 6]
     [--steps 20] [--warmup 3] [--threads 1] [--json]
Pinned: Debian python3-torch 1.13, transformers 4.40.2 (tools/requirements.txt).
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
import transformers

assert torch.__version__.startswith("1.13"), torch.__version__
assert transformers.__version__ == "4.40.2", transformers.__version__

parser = argparse.ArgumentParser()
for name, default in [("batch", 8), ("length", 128), ("layers", 6), ("steps", 20), ("warmup", 3), ("threads", 1)]:
    parser.add_argument(f"--{name}", type=int, default=default)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

config = transformers.BertConfig(hidden_size=384, num_hidden_layers=args.layers, num_attention_heads=12,
                                 intermediate_size=1536, vocab_size=30522, attn_implementation="eager")
encoder = transformers.BertModel(config, add_pooling_layer=False)
head = torch.nn.Linear(384, 3)
encoder.train()
named = list(encoder.named_parameters()) + [("classifier." + n, p) for n, p in head.named_parameters()]
no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n
optimizer = torch.optim.AdamW([
    {"params": [p for n, p in named if not no_decay(n)], "weight_decay": 0.01},
    {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0},
], lr=2e-5)

g = torch.Generator().manual_seed(1)
input_ids = torch.randint(0, config.vocab_size, (args.batch, args.length), generator=g)
attention_mask = torch.ones(args.batch, args.length, dtype=torch.int64)
attention_mask[1::2, args.length * 3 // 4:] = 0
labels = torch.randint(0, 3, (args.batch,), generator=g)

times, losses = [], []
for step in range(args.warmup + args.steps):
    start = time.perf_counter()
    hidden = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    logits = head(hidden[:, 0])
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    value = loss.item()
    seconds = time.perf_counter() - start
    if step >= args.warmup:
        times.append(seconds)
        losses.append(value)

ordered = sorted(times)
median = ordered[len(ordered) // 2]
mean = sum(times) / len(times)
tokens = args.batch * args.length
if args.json:
    print(json.dumps({"side": "python", "median_s": median, "mean_s": mean, "tokens_per_s": tokens / median,
                      "threads": args.threads, "losses": [round(v, 6) for v in losses]}))
else:
    print(f"python: median {median:.3f} s/step, mean {mean:.3f} s, {tokens / median:.0f} tokens/s ({args.threads} threads)")
