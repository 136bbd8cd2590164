#!/usr/bin/env bash
# Fine-tuning step speed: `arena finetune` (release build) against the same step in PyTorch on
# Debian's python3-torch (the same libtorch): forward in train mode, cross-entropy, backward,
# clipping, AdamW. Batches of the same shape on both sides (every sequence cut to the full
# length); float32 and bfloat16 autocast; interleaved ROUNDS times in one run; Python as users
# run it and again with the glibc malloc settings arena applies ("+malloc").
#
#   benchmarks/finetune_speed.sh minilm    # all-MiniLM-L6-v2 cross-encoder, batch 8 x 256 tokens
#                                          # (scripts/setup-models.sh)
#   benchmarks/finetune_speed.sh deberta   # a random DeBERTa-v3-xsmall-shaped pair (S1) classifier,
#                                          # 4 pairs x 512 tokens: DESIGN.md's anchor step
#
# Peak RSS of each process by GNU time (/usr/bin/time): arena's is the whole command (data,
# tokenization, the closing validation pass), Python's the steps alone.
# Needs tools/setup-python.sh. Environment: ROUNDS (3), STEPS (8 timed steps after 2 warm-up
# steps), THREADS (2), SWIFT_SCRATCH (.build).
set -euo pipefail
cd "$(dirname "$0")/.."
KIND="${1:-}"
case "$KIND" in
  minilm) BATCH=8; LENGTH=256; ARCHITECTURE=cross; SIDES=1 ;;
  deberta) BATCH=4; LENGTH=512; ARCHITECTURE=pair; SIDES=2 ;;
  *) echo "usage: $0 minilm|deberta" >&2; exit 2 ;;
esac
ROUNDS="${ROUNDS:-3}"
STEPS="${STEPS:-8}"
THREADS="${THREADS:-2}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$THREADS}"
PYTHON=.venv/bin/python
swift build -c release --scratch-path "$SCRATCH" --product arena >&2
swift build -c release --scratch-path "$SCRATCH" --product ArenaSentencePiece >&2
ARENA="$SCRATCH/release/arena"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TOTAL=$((STEPS + 2))
# Enough training rows for TOTAL steps in one epoch, 8 held out for the closing validation pass.
ROWS=$((TOTAL * BATCH + 8))
"$PYTHON" benchmarks/finetune_step.py make-data "$WORK/data.csv" --rows "$ROWS"
if [ "$KIND" = deberta ]; then
  "$PYTHON" benchmarks/deberta_speed.py make-model "$WORK/model"
  MODEL_DIR="$WORK/model"
else
  MODEL_DIR=.models/all-MiniLM-L6-v2
fi
FRACTION=$("$PYTHON" -c "print(8 / $ROWS + 1e-9)")
RESULTS="$WORK/results.jsonl"
for round in $(seq "$ROUNDS"); do
  for precision in float32 bfloat16; do
    echo "round $round/$ROUNDS, $precision" >&2
    /usr/bin/time -f %M -o "$WORK/arena.rss" "$ARENA" finetune --data "$WORK/data.csv" --model "$MODEL_DIR" --out "$WORK/run" --overwrite --quiet \
      --architecture "$ARCHITECTURE" --max-length "$LENGTH" --batch-size "$BATCH" --max-steps "$TOTAL" --threads "$THREADS" \
      --precision "$precision" --validation-fraction "$FRACTION" --no-swap-averaging --no-calibration --no-edge-cases > /dev/null
    "$PYTHON" - "$WORK/run/training.csv" "$precision" "$((BATCH * LENGTH * SIDES))" "$WORK/arena.rss" >> "$RESULTS" <<'PY'
import csv, json, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
times = [float(r["seconds"]) for r in rows[2:]]
print(json.dumps({"side": "arena", "precision": sys.argv[2], "median_step_seconds": statistics.median(times),
                  "tokens_per_step": int(sys.argv[3]), "steps": len(times), "peak_rss_kib": int(open(sys.argv[4]).read().split()[-1])}))
PY
    for VARIANT in "" "+malloc"; do
      MALLOC=""; [ -n "$VARIANT" ] && MALLOC="env MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647"
      $MALLOC /usr/bin/time -f %M -o "$WORK/python.rss" "$PYTHON" benchmarks/finetune_step.py run --kind "$KIND" --model "$MODEL_DIR" \
        --batch "$BATCH" --length "$LENGTH" --steps "$STEPS" --precision "$precision" --threads "$THREADS" > "$WORK/python.json"
      "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); r['precision'] += '$VARIANT'; r['peak_rss_kib'] = int(open(sys.argv[2]).read().split()[-1]); print(json.dumps(r))" \
        "$WORK/python.json" "$WORK/python.rss" >> "$RESULTS"
    done
  done
done
"$PYTHON" - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def median(side, precision):
    chosen = [r for r in rows if r["side"] == side and r["precision"] == precision]
    return (statistics.median(r["median_step_seconds"] for r in chosen), chosen[0]["tokens_per_step"],
            max(r["peak_rss_kib"] for r in chosen) / 1024)
print(f"{'precision':10} {'arena s/step':>12} {'tokens/s':>9} {'python s/step':>14} {'tokens/s':>9} {'speed-up':>8} {'python+malloc':>14} {'speed-up':>8}"
      f" {'arena MiB':>10} {'python MiB':>10}")
for precision in ("float32", "bfloat16"):
    arena, tokens, arena_rss = median("arena", precision)
    python, _, python_rss = median("python", precision)
    tuned, _, _ = median("python", precision + "+malloc")
    print(f"{precision:10} {arena:12.3f} {tokens / arena:9.0f} {python:14.3f} {tokens / python:9.0f} {python / arena:8.2f} {tuned:14.3f} {tuned / arena:8.2f}"
          f" {arena_rss:10.0f} {python_rss:10.0f}")
PY
