#!/usr/bin/env bash
# Inference speed (issue 6): `arena embed` (release build) against Python on Debian's
# python3-torch (the same libtorch), same texts, same sorted batches and length cut, float32 and
# bfloat16 autocast, interleaved ROUNDS times in one run; Python runs twice per round, as users
# run it and with the glibc malloc settings arena applies ("+malloc").
#
#   benchmarks/inference_speed.sh minilm  [DATA.csv] [ROWS]   # all-MiniLM-L6-v2 vs sentence-transformers
#                                                             # (256 tokens, batch 32; scripts/setup-models.sh)
#   benchmarks/inference_speed.sh deberta [DATA.csv] [ROWS]   # a random DeBERTa-v3-xsmall-sized model vs
#                                                             # transformers' DebertaV2Model (512 tokens, batch 8)
#
# DATA defaults to ../shared/data/arena-sample/train.csv, ROWS to 60 (minilm) or 20 (deberta).
# Needs tools/setup-python.sh. Environment: ROUNDS (3), THREADS (1),
# SWIFT_SCRATCH (.build), OPENBLAS_NUM_THREADS (defaults to THREADS).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${1:-}"
case "$MODEL" in
  minilm) DEFAULT_ROWS=60; BATCH=32; MAX_LENGTH=256 ;;
  deberta) DEFAULT_ROWS=20; BATCH=8; MAX_LENGTH=512 ;;
  *) echo "usage: $0 minilm|deberta [DATA.csv] [ROWS]" >&2; exit 2 ;;
esac
DATA="${2:-../shared/data/arena-sample/train.csv}"
ROWS="${3:-$DEFAULT_ROWS}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-1}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$THREADS}"
PYTHON=.venv/bin/python
swift build -c release --scratch-path "$SCRATCH" --product arena >&2
# The SentencePiece shim is a separate library loaded at run time (see the README).
swift build -c release --scratch-path "$SCRATCH" --product ArenaSentencePiece >&2
ARENA="$SCRATCH/release/arena"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" - "$DATA" "$ROWS" "$WORK/rows.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f, open(sys.argv[3], "w", newline="", encoding="utf-8") as out:
    reader = csv.reader(f); writer = csv.writer(out)
    for index, row in enumerate(reader):
        if index > int(sys.argv[2]): break
        writer.writerow(row)
PY
RESULTS="$WORK/results.jsonl"
if [ "$MODEL" = deberta ]; then
  # No DeBERTa weights can be downloaded here: a random model of DeBERTa-v3-xsmall's shape.
  "$PYTHON" benchmarks/deberta_speed.py make-model "$WORK/model"
  MODEL_DIR="$WORK/model"
  PYTHON_SIDE=(benchmarks/deberta_speed.py run "$MODEL_DIR")
else
  MODEL_DIR=.models/all-MiniLM-L6-v2
  PYTHON_SIDE=(benchmarks/embed_speed.py)
fi
for round in $(seq "$ROUNDS"); do
  for precision in float32 bfloat16; do
    echo "round $round/$ROUNDS, $precision" >&2
    # arena's own clock: tokenization and forward passes, as model.encode on the Python side.
    "$ARENA" embed --model "$MODEL_DIR" --data "$WORK/rows.csv" --out "$WORK/$precision.safetensors" \
      --threads "$THREADS" --precision "$precision" --batch-size "$BATCH" --max-length "$MAX_LENGTH" 2> "$WORK/arena.log"
    seconds=$(sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' "$WORK/arena.log" | tail -1)
    for VARIANT in "" "+malloc"; do
      # "+malloc": Python with the glibc settings arena applies (LibTorch.keepFreedMemory).
      MALLOC=""; [ -n "$VARIANT" ] && MALLOC="env MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647"
      $MALLOC "$PYTHON" "${PYTHON_SIDE[@]}" --data "$WORK/rows.csv" --rows "$ROWS" --precision "$precision" \
        --threads "$THREADS" --compare "$WORK/$precision.safetensors" > "$WORK/python$VARIANT.json"
      "$PYTHON" - "$seconds" "$WORK/python$VARIANT.json" "$precision$VARIANT" >> "$RESULTS" <<'PY'
import json, sys
python = json.load(open(sys.argv[2]))
if not sys.argv[3].endswith("+malloc"):
    print(json.dumps({"side": "arena", "precision": sys.argv[3], "seconds": float(sys.argv[1]), "tokens": python["tokens"]}))
python["precision"] = sys.argv[3]
print(json.dumps(python))
PY
    done
  done
done
"$PYTHON" - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(f"{'precision':10} {'arena tokens/s':>15} {'python tokens/s':>16} {'ratio':>6} {'python+malloc':>14} {'ratio':>6}  max |difference|")
for precision in ("float32", "bfloat16"):
    arena = statistics.median(r["tokens"] / r["seconds"] for r in rows if r["side"] == "arena" and r["precision"] == precision)
    python_rows = [r for r in rows if r["side"] == "python" and r["precision"] == precision]
    python = statistics.median(r["tokens_per_s"] for r in python_rows)
    tuned = statistics.median(r["tokens_per_s"] for r in rows if r["side"] == "python" and r["precision"] == precision + "+malloc")
    difference = max(r["max_abs_difference"] for r in python_rows)
    print(f"{precision:10} {arena:15.0f} {python:16.0f} {arena / python:6.2f} {tuned:14.0f} {arena / tuned:6.2f}  {difference:.2e}")
PY
