#!/usr/bin/env python3
"""Writes Tests/FeaturesTests/Fixtures/features.json, the reference values for the Swift features.

Run with the pinned environment (tools/requirements.txt, made by tools/setup-python.sh):

    .venv/bin/python tools/make_feature_fixtures.py

- `s3`: the reference notebook S3's turn-length statistics (numpy) of 24 rows of the real
  sample: single-turn, multi-turn, and rows with a null or blank response turn.
- `tfidf`: scikit-learn's TfidfVectorizer (smooth_idf=True, sublinear_tf=True, l2) on a tiny
  corpus, word 1-2-grams and char 3-5-grams: each n-gram's idf and each document's values, which
  the hashed Swift version must equal when its buckets do not collide.
- `hashes`: the fixed n-gram hash (64-bit FNV-1a over UTF-8, MurmurHash3's fmix64, Lemire's
  multiply-shift to a bucket), computed here independently of the Swift code.
"""

import json
import pathlib
import platform
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared/data/arena-sample/train.csv"
OUTPUT = ROOT / "Tests/FeaturesTests/Fixtures/features.json"
SINGLE_TURN_ROWS = 14
MULTI_TURN_ROWS = 6
BLANK_TURN_ROWS = 4
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
MASK64 = (1 << 64) - 1


def decode_turns(cell):
    """The turns of a text cell (a JSON list; null turns become ""), or None if it does not decode."""
    try:
        turns = json.loads(cell)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(turns, list):
        return None
    return ["" if turn is None else turn for turn in turns]


def s3_statistics(turns, prompt_turns):
    """S3's 14 per-side statistics, in the Swift `SideFeature` order."""

    def base(texts):
        lengths = np.array([len(text) for text in texts], dtype=np.float64)
        if lengths.size == 0:
            return dict(sum=0.0, mean=0.0, max=0.0, median=0.0, std=0.0, effective_mean=0.0)
        non_blank = np.array([text.strip(ASCII_WHITESPACE) != "" for text in texts])
        return dict(
            sum=float(lengths.sum()),
            mean=float(lengths.mean()),
            max=float(lengths.max()),
            median=float(np.median(lengths)),
            std=float(lengths.std()),
            effective_mean=float(lengths[non_blank].mean()) if non_blank.any() else 0.0,
        )

    side, prompt = base(turns), base(prompt_turns)
    return [
        side["sum"], side["mean"], side["max"],
        float(np.log1p(side["sum"])), float(np.log1p(side["mean"])), float(np.log1p(side["max"])),
        side["median"], side["std"], side["effective_mean"],
        side["sum"] - prompt["sum"], side["mean"] - prompt["mean"], side["max"] - prompt["max"],
        side["median"] - prompt["median"], side["effective_mean"] - prompt["effective_mean"],
    ]


def s3_cases():
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    single, multi, blank = [], [], []
    for row in frame.itertuples(index=False):
        prompt, a, b = (decode_turns(getattr(row, column)) for column in ("prompt", "response_a", "response_b"))
        if prompt is None or a is None or b is None:
            continue
        case = dict(id=row.id, a=s3_statistics(a, prompt), b=s3_statistics(b, prompt))
        if any(turn.strip(ASCII_WHITESPACE) == "" for turn in a + b):
            if len(blank) < BLANK_TURN_ROWS:
                blank.append(case)
        elif len(prompt) > 1 and len(multi) < MULTI_TURN_ROWS:
            multi.append(case)
        elif len(prompt) == 1 and len(single) < SINGLE_TURN_ROWS:
            single.append(case)
    return single + multi + blank


TFIDF_CORPUS = [
    "The cat sat on the mat.",
    "The dog sat on the log, and the dog barked twice: woof woof!",
    "A café in Zürich serves coffee; the coffee is strong.",
    "I'm sorry, but as an AI I cannot do that.",
    "x = 42  # the answer,   with   spaces and snake_case_names",
    "the",
]


def tfidf_case(analyzer, ngram_range):
    vectorizer = TfidfVectorizer(
        analyzer=analyzer, ngram_range=ngram_range, smooth_idf=True, sublinear_tf=True, norm="l2")
    matrix = vectorizer.fit_transform(TFIDF_CORPUS)
    terms = vectorizer.get_feature_names_out()
    documents = []
    for row in range(matrix.shape[0]):
        entries = matrix.getrow(row)
        documents.append({terms[column]: float(value) for column, value in zip(entries.indices, entries.data)})
    return dict(
        analyzer=analyzer,
        ngram_range=list(ngram_range),
        idf={term: float(vectorizer.idf_[index]) for term, index in vectorizer.vocabulary_.items()},
        documents=documents,
    )


def fnv1a64(data):
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & MASK64
    return value


def fmix64(value):
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & MASK64
    value ^= value >> 33
    value = (value * 0xC4CEB93FE53B6E33) & MASK64
    value ^= value >> 33
    return value


def bucket(text, buckets):
    return ((fmix64(fnv1a64(text.encode("utf-8"))) >> 32) * buckets) >> 32


HASHED_NGRAMS = ["the", "the cat", "cat", "caf", "café", "ürich", "日本語", "🙂 ok", ""]
BUCKET_COUNTS = [1 << 16, 1 << 18, 1000]


def main():
    fixtures = dict(
        versions={
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
        },
        s3=s3_cases(),
        tfidf=dict(
            corpus=TFIDF_CORPUS,
            cases=[tfidf_case("word", (1, 2)), tfidf_case("char", (3, 5))],
        ),
        hashes=[
            dict(text=text, fnv1a64=str(fnv1a64(text.encode("utf-8"))), buckets={str(n): bucket(text, n) for n in BUCKET_COUNTS})
            for text in HASHED_NGRAMS
        ],
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(fixtures, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(fixtures['s3'])} S3 rows", file=sys.stderr)


if __name__ == "__main__":
    main()
