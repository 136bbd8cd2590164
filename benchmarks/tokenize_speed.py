"""The anchor of benchmarks/TokenizeBench (issue 11): Hugging Face's fast BERT tokenizer on long texts.

Loads the tokenizer as a user would (`BertTokenizerFast.from_pretrained(model folder)`,
transformers 4.40.2 over tokenizers 0.19.1, defaults), builds the same texts as
tokenize-benchmark (the sample train.csv's bytes repeated to each size and cut back to a UTF-8
scalar boundary) and times
    whole      tokenizer(text, add_special_tokens=False)
    truncated  tokenizer(text, truncation=True, max_length=256)
printing the same JSON lines (side "python"). The whole call is what tokenize() computes; the
truncated call is what encode(text, maxLength: 256) computes (HF tokenizes the whole text, then
truncates). whole_raw and truncated_raw are the like-for-like variant: the same two calls on
`tokenizers.Tokenizer.from_file(model/tokenizer.json)` alone (truncation set with
enable_truncation), without transformers' wrapper and its conversion to Python lists.

    .venv-bench/bin/python benchmarks/tokenize_speed.py [--model DIR] [--data FILE]
        [--sizes 1000000,50000000] [--repeats 3] [--long-repeats 1] [--max-length 256] [--no-raw]

Run by benchmarks/tokenize_speed.sh, which makes .venv-bench.
"""
import argparse
import json
import os
import statistics
import sys
import time
import warnings


def make_text(source: bytes, size: int) -> str:
    """Same rule as makeText in benchmarks/TokenizeBench/main.swift."""
    data = source * (size // len(source) + 1)
    cut = size
    while 0 < cut < len(data) and data[cut] & 0xC0 == 0x80:
        cut -= 1
    return data[:cut].decode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=".models/all-MiniLM-L6-v2")
    parser.add_argument("--data", default="../shared/data/arena-sample/train.csv")
    parser.add_argument("--sizes", default="1000000,50000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long-repeats", type=int, default=1)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--no-raw", action="store_true", help="skip the tokenizers-only variant")
    args = parser.parse_args()

    # transformers warns that the text is longer than model_max_length (expected here) and, at
    # import, that no PyTorch is installed (only its tokenizers are used).
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import transformers
    from transformers import BertTokenizerFast
    transformers.logging.set_verbosity_error()

    tokenizer = BertTokenizerFast.from_pretrained(args.model)
    with open(args.data, "rb") as file:
        source = file.read()
    tokenizer(make_text(source, 10_000), add_special_tokens=False)  # untimed warm-up

    # The like-for-like variant: the same Rust tokenizer through the tokenizers package alone
    # (tokenizer.json, no transformers wrapper, no conversion of the encoding to Python lists
    # but the ids), with truncation set on the tokenizer as tokenizers users do.
    from tokenizers import Tokenizer
    raw_whole = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    raw_whole.no_truncation()
    raw_whole.no_padding()
    raw_truncated = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    raw_truncated.enable_truncation(max_length=args.max_length)
    raw_truncated.no_padding()

    calls = {
        "whole": lambda text: tokenizer(text, add_special_tokens=False)["input_ids"],
        "truncated": lambda text: tokenizer(text, truncation=True, max_length=args.max_length)["input_ids"],
        "whole_raw": lambda text: raw_whole.encode(text, add_special_tokens=False).ids,
        "truncated_raw": lambda text: raw_truncated.encode(text).ids,
    }
    if args.no_raw:
        calls = {name: call for name, call in calls.items() if not name.endswith("_raw")}
    for size in (int(s) for s in args.sizes.split(",")):
        text = make_text(source, size)
        size_bytes = len(text.encode("utf-8"))
        repeats = args.long_repeats if size > 10_000_000 else args.repeats
        for name, call in calls.items():
            runs, ids = [], []
            for _ in range(repeats):
                ids = None
                start = time.perf_counter()
                ids = call(text)
                runs.append(time.perf_counter() - start)
            print(json.dumps({
                "side": "python", "call": name, "size_bytes": size_bytes, "repeats": repeats,
                "median_s": statistics.median(runs), "runs_s": runs, "ids": len(ids), "id_sum": sum(ids),
            }, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
