"""Fine-tuning step speed, the Python side of `benchmarks/finetune_speed.sh`, and its data.

`make-data OUT.csv --rows N`: labelled rows in the Kaggle schema whose prompt and responses are
each about 700 words (real sample texts repeated), so that every sequence either side builds is
cut to the full --length: both sides then run batches of exactly the same shape.

`run --kind minilm|deberta --model DIR`: the training step `arena finetune` runs, in PyTorch:
  minilm:  transformers' BertForSequenceClassification (num_labels 3) from DIR: the cross-encoder,
           batch B x L;
  deberta: the shared-weight pair classifier (S1): DebertaV2Model from DIR run on side A and side
           B (B pairs x L tokens each), masked mean pooling, Linear(2H, 3).
Train mode (dropout on), cross-entropy, clip_grad_norm_(1.0), torch.optim.AdamW (lr 2e-5, weight
decay 0.01 except biases and LayerNorms), zero_grad; float32 or bfloat16 autocast. Random token
ids, full masks. transformers' defaults otherwise (BERT attention through
scaled_dot_product_attention, as arena's). --threads 0 (the default) leaves torch's default
thread count; --fused-adamw uses torch.optim.AdamW(fused=True), the implementation arena's
fine-tuning calls (one at::_fused_adamw_ per group), instead of AdamW's default (the for-loop
on CPU tensors). Prints one JSON line: the median step time after 2 warm-up steps.

Pinned (tools/requirements.txt): transformers 4.40.2, torch 2.15.0 from PyPI (the version of the
libtorch arena links).
"""
import argparse
import csv
import json
import statistics
import time

import torch
import transformers

parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["make-data", "run"])
parser.add_argument("out", nargs="?")
parser.add_argument("--source", default="../shared/data/arena-sample/train.csv")
parser.add_argument("--rows", type=int, default=64)
parser.add_argument("--kind", choices=["minilm", "deberta"])
parser.add_argument("--model")
parser.add_argument("--batch", type=int, default=8)
parser.add_argument("--length", type=int, default=256)
parser.add_argument("--steps", type=int, default=8)
parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0: torch's default")
parser.add_argument("--fused-adamw", action="store_true")
args = parser.parse_args()

if args.command == "make-data":
    words = []
    with open(args.source, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for column in ("response_a", "response_b"):
                words += " ".join(t for t in json.loads(row[column]) if t).split()
            if len(words) > 50_000:
                break
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "model_a", "model_b", "prompt", "response_a", "response_b", "winner_model_a", "winner_model_b", "winner_tie"])
        for row in range(args.rows):
            texts = [" ".join(words[(row * 3 + k) * 700 % 40_000:][:700]) for k in range(3)]
            label = [0, 0, 0]
            label[row % 3] = 1
            writer.writerow([str(row), "a", "b"] + [json.dumps([t]) for t in texts] + label)
    raise SystemExit(0)

if args.threads > 0:
    torch.set_num_threads(args.threads)
torch.manual_seed(0)


class PairClassifier(torch.nn.Module):
    def __init__(self, folder):
        super().__init__()
        self.deberta = transformers.DebertaV2Model.from_pretrained(folder)
        self.classifier = torch.nn.Linear(2 * self.deberta.config.hidden_size, 3)

    def forward(self, ids_a, mask_a, ids_b, mask_b):
        def pooled(ids, mask):
            h = self.deberta(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return self.classifier(torch.cat([pooled(ids_a, mask_a), pooled(ids_b, mask_b)], -1))


if args.kind == "minilm":
    model = transformers.BertForSequenceClassification.from_pretrained(args.model, num_labels=3)
    vocab = model.config.vocab_size
    sides = 1
else:
    model = PairClassifier(args.model)
    vocab = model.deberta.config.vocab_size
    sides = 2
model.train()
exempt = lambda name: name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name or "norm." in name
named = list(model.named_parameters())
optimizer = torch.optim.AdamW([
    {"params": [p for n, p in named if not exempt(n)], "weight_decay": 0.01},
    {"params": [p for n, p in named if exempt(n)], "weight_decay": 0.0},
], lr=2e-5, **({"fused": True} if args.fused_adamw else {}))
generator = torch.Generator().manual_seed(1)
times = []
for step in range(args.steps + 2):
    inputs = []
    for _ in range(sides):
        inputs += [torch.randint(1000, vocab, (args.batch, args.length), generator=generator),
                   torch.ones(args.batch, args.length, dtype=torch.int64)]
    labels = torch.randint(0, 3, (args.batch,), generator=generator)
    started = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bfloat16"):
        if args.kind == "minilm":
            logits = model(input_ids=inputs[0], attention_mask=inputs[1]).logits
        else:
            logits = model(*inputs)
    loss = torch.nn.functional.cross_entropy(logits.float(), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if step >= 2:
        times.append(time.perf_counter() - started)
print(json.dumps({"side": "python", "precision": args.precision, "median_step_seconds": statistics.median(times),
                  "tokens_per_step": args.batch * args.length * sides, "steps": len(times),
                  "threads": torch.get_num_threads(), "fused_adamw": args.fused_adamw, "torch": torch.__version__}))
