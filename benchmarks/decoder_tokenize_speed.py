"""Hugging Face's side of the decoder-tokenizer benchmark (issue 15): byte-level BPE on every text
of the sample, one text at a time.

Texts: every prompt / response_a / response_b of the sample train.csv, its turns joined by a blank
line (the rule of tools/make_decoder_tokenizer_fixtures.py). Times, single-threaded
(RAYON_NUM_THREADS=1), `tokenizers.Tokenizer.from_file(tokenizer.json).encode(text,
add_special_tokens=False)` on each text (and `encode_batch` on all), and prints one JSON line per
call: side "python", call, texts, tokens, median_s and tokens_per_s. With --write FILE it also
writes {"texts": [...], "ids": [[...]]} so the Swift side (tokenize-benchmark --texts FILE) checks
its ids on every text and times the same work.

    .venv/bin/python benchmarks/decoder_tokenize_speed.py \
        [--tokenizer Tests/TokenizersTests/Fixtures/decoder-tokenizers/llama3] [--data ../shared/data/arena-sample/train.csv]
        [--repeats 3] [--write /tmp/decoder-texts.json]
"""
import argparse
import csv
import json
import os
import statistics
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402


def sample_texts(path):
    texts = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for column in ("prompt", "response_a", "response_b"):
                turns = [t for t in json.loads(row[column]) if t]
                if turns:
                    texts.append("\n\n".join(turns))
    return texts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", default="Tests/TokenizersTests/Fixtures/decoder-tokenizers/llama3")
    parser.add_argument("--data", default="../shared/data/arena-sample/train.csv")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write")
    args = parser.parse_args()
    texts = sample_texts(args.data)
    tokenizer = tokenizers.Tokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    ids = [tokenizer.encode(t, add_special_tokens=False).ids for t in texts]  # untimed warm-up
    count = sum(map(len, ids))
    for call, run in (("encode", lambda: [tokenizer.encode(t, add_special_tokens=False) for t in texts]),
                      ("encode_batch", lambda: tokenizer.encode_batch(texts, add_special_tokens=False))):
        runs = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            runs.append(time.perf_counter() - start)
        median = statistics.median(runs)
        print(json.dumps({"side": "python", "call": call, "texts": len(texts), "bytes": sum(len(t.encode()) for t in texts),
                          "tokens": count, "median_s": round(median, 4), "tokens_per_s": round(count / median),
                          "runs_s": [round(r, 4) for r in runs]}))
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            json.dump({"texts": texts, "ids": ids}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
