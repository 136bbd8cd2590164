#!/usr/bin/env bash
# Tokenising long texts (issue 11): the Tokenizers module (benchmarks/TokenizeBench, release
# build) against Hugging Face's fast BERT tokenizer (benchmarks/tokenize_speed.py: transformers'
# BertTokenizerFast as users load it, and the tokenizers package alone as the like-for-like
# variant) on the same texts: the sample train.csv's bytes repeated to 1 MB and 50 MB, as one
# text. Two calls on each: the whole text's ids (no special tokens) and the ids cut to 256
# (encode(text, maxLength: 256) / truncation=True, max_length=256). Runs the two sides
# alternately ROUNDS times (swift, python, swift, python, ...) so that machine noise hits both,
# prints the median seconds of each call (all timed calls of all rounds), the ratio python /
# swift (how many times faster arena is), and checks that both sides produced the same ids
# (count and sum).
#
#   benchmarks/tokenize_speed.sh [options for both sides, e.g. --sizes 1000000 --repeats 5]
#
# Environment: ROUNDS (default 2); SWIFT_SCRATCH (default .build-bench); PYTHON (default
# .venv-bench/bin/python: made here when missing, with the versions that tools/requirements.txt
# pins for transformers, tokenizers, huggingface-hub, numpy and safetensors; no torch);
# MODEL (default .models/all-MiniLM-L6-v2, from scripts/setup-models.sh); DATA (default
# ../shared/data/arena-sample/train.csv); JSON_OUT (a file to keep every JSON line in, per-run
# times included).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-2}"
SCRATCH="${SWIFT_SCRATCH:-.build-bench}"
PYTHON="${PYTHON:-.venv-bench/bin/python}"
MODEL="${MODEL:-.models/all-MiniLM-L6-v2}"
DATA="${DATA:-../shared/data/arena-sample/train.csv}"

if [ ! -x "$PYTHON" ]; then
  [ "$PYTHON" = .venv-bench/bin/python ] || { echo "no Python at $PYTHON" >&2; exit 1; }
  /usr/bin/python3 -m venv .venv-bench
  pins="$(grep -E '^(transformers|tokenizers|huggingface-hub|numpy|safetensors)==' tools/requirements.txt)"
  # shellcheck disable=SC2086
  .venv-bench/bin/pip install -q --disable-pip-version-check $pins >&2
fi
swift build -c release --product tokenize-benchmark --scratch-path "$SCRATCH" >&2
SWIFT_BIN="$SCRATCH/release/tokenize-benchmark"
RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT

CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "load average at start: $LOAD_START" >&2
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS: swift" >&2
  "$SWIFT_BIN" --model "$MODEL" --data "$DATA" "$@" >> "$RESULTS"
  echo "round $round/$ROUNDS: python" >&2
  "$PYTHON" benchmarks/tokenize_speed.py --model "$MODEL" --data "$DATA" "$@" >> "$RESULTS"
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${JSON_OUT:-}" ]; then cp "$RESULTS" "$JSON_OUT"; fi

"$PYTHON" - "$RESULTS" "$CPU" "$LOAD_START" "$LOAD_END" "$ROUNDS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cpu, load_start, load_end, rounds = sys.argv[2:6]
print(f"CPU {cpu}; {rounds} rounds per side, interleaved; load average {load_start} at start, {load_end} at end")

def runs(side, call, size):
    return [t for r in rows if (r["side"], r["call"], r["size_bytes"]) == (side, call, size) for t in r["runs_s"]]

def ids(side, call, size):
    return {(r["ids"], r["id_sum"]) for r in rows if (r["side"], r["call"], r["size_bytes"]) == (side, call, size)}

ok = True
print(f"{'text bytes':>10} {'call':10} {'ids':>10} {'arena s':>10} {'HF transformers s':>18} {'ratio':>8} {'HF tokenizers s':>16} {'ratio':>8}")
for size in sorted({r["size_bytes"] for r in rows}):
    for call in ("whole", "truncated"):
        swift = runs("swift", call, size)
        python = runs("python", call, size)
        raw = runs("python", call + "_raw", size)
        if not swift or not python:
            continue
        s, p = statistics.median(swift), statistics.median(python)
        raw_text = f"{statistics.median(raw):16.4f} {statistics.median(raw) / s:8.1f}" if raw else f"{'-':>16} {'-':>8}"
        (count, _), = ids("swift", call, size) or {(0, 0)}
        print(f"{size:>10,} {call:10} {count:>10,} {s:10.6f} {p:18.4f} {p / s:8.1f} {raw_text}")
        for other in [c for c in (call, call + "_raw") if runs("python", c, size)]:
            if ids("swift", call, size) != ids("python", other, size) or len(ids("swift", call, size)) != 1:
                print(f"CHECK FAILED: {size} bytes, {call}: swift ids {ids('swift', call, size)} != python {other} {ids('python', other, size)}")
                ok = False
print("ratio = HF seconds / arena seconds (medians of all timed calls); ids checked equal (count and sum)" if ok else "")
sys.exit(0 if ok else 1)
PY
