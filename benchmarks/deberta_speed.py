"""DeBERTa-v3-xsmall-sized inference speed, the Python side of `benchmarks/inference_speed.sh deberta`.

`make-model DIR`: writes a random DeBERTa-v3-xsmall-shaped model folder (384 wide, 12 layers,
6 heads, 256 position buckets, vocabulary 128,100; no such weights can be downloaded here) with
the SentencePiece fixture as spm.model.
`run DIR --data rows.csv`: transformers' DebertaV2Model with DebertaV2TokenizerFast on the texts
`arena embed` embeds (prompt, response A, response B; 512 tokens at most), sorted by length,
batch 8, mean pooling and L2 normalisation, float32 or bfloat16 autocast; --threads 0 (the
default) leaves torch's default thread count; prints one JSON line (tokens/s, the thread count;
with --compare, the largest difference from arena's embeddings).

Pinned (tools/requirements.txt): transformers 4.40.2, torch 2.15.0 from PyPI (the version of the
libtorch arena links), safetensors 0.4.3.
"""
import argparse
import csv
import json
import pathlib
import shutil
import time

import safetensors.torch
import torch
import transformers

parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["make-model", "run"])
parser.add_argument("folder")
parser.add_argument("--data")
parser.add_argument("--rows", type=int, default=40)
parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0: torch's default")
parser.add_argument("--compare")
args = parser.parse_args()
if args.threads > 0:
    torch.set_num_threads(args.threads)
folder = pathlib.Path(args.folder)
ROOT = pathlib.Path(__file__).resolve().parent.parent

if args.command == "make-model":
    torch.manual_seed(0)
    config = transformers.DebertaV2Config(
        vocab_size=128100, hidden_size=384, num_hidden_layers=12, num_attention_heads=6, intermediate_size=1536,
        max_position_embeddings=512, relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm",
        share_att_key=True, pos_att_type="p2c|c2p", layer_norm_eps=1e-7, max_relative_positions=-1,
        position_biased_input=False, type_vocab_size=0, model_type="deberta-v2")
    model = transformers.DebertaV2Model(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    config.to_json_file(folder / "config.json")
    safetensors.torch.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "model.safetensors",
                                metadata={"format": "pt"})
    shutil.copy(ROOT / "Tests/TokenizersTests/Fixtures/spm.model", folder / "spm.model")
    raise SystemExit(0)

texts = []
with open(args.data, newline="", encoding="utf-8") as f:
    for index, row in enumerate(csv.DictReader(f)):
        if index >= args.rows:
            break
        for column in ("prompt", "response_a", "response_b"):
            texts.append("\n\n".join(t for t in json.loads(row[column]) if t is not None))
tokenizer = transformers.DebertaV2TokenizerFast(vocab_file=str(folder / "spm.model"), do_lower_case=False)
model = transformers.DebertaV2Model.from_pretrained(str(folder)).eval()
start = time.perf_counter()
encoded = [tokenizer(t, truncation=True, max_length=512)["input_ids"] for t in texts]
order = sorted(range(len(texts)), key=lambda i: -len(encoded[i]))
outputs = [None] * len(texts)
with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bfloat16"):
    for begin in range(0, len(order), 8):
        batch = order[begin:begin + 8]
        length = max(len(encoded[i]) for i in batch)
        ids = torch.zeros(len(batch), length, dtype=torch.long)
        mask = torch.zeros(len(batch), length, dtype=torch.long)
        for row, i in enumerate(batch):
            ids[row, :len(encoded[i])] = torch.tensor(encoded[i])
            mask[row, :len(encoded[i])] = 1
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        pooled = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        for row, i in enumerate(batch):
            outputs[i] = pooled[row]
seconds = time.perf_counter() - start
tokens = sum(len(e) for e in encoded)
result = {"side": "python", "precision": args.precision, "seconds": seconds, "tokens": tokens, "tokens_per_s": tokens / seconds,
          "threads": torch.get_num_threads(), "torch": torch.__version__}
if args.compare:
    arena = safetensors.torch.load_file(args.compare)
    ours = torch.stack([arena["prompt"], arena["response_a"], arena["response_b"]], dim=1).reshape(len(texts), -1)
    result["max_abs_difference"] = (ours - torch.stack(outputs)).abs().max().item()
print(json.dumps(result))
