#!/usr/bin/env bash
# Fine-tuning step speed (issue 12): `arena finetune` (release build, on the libtorch of the
# pinned PyPI torch wheel) against the same training step in PyTorch on pip's torch of the same
# version (.venv): forward in train mode, cross-entropy, backward, clipping, AdamW. Batches of the
# same shape on both sides (every sequence cut to the full length); float32 and bfloat16
# autocast; interleaved ROUNDS times in one run. Python runs twice per round:
#   "defaults"      as users run it: transformers' model at its defaults, torch.optim.AdamW's
#                   default implementation, torch's default thread count, plain glibc malloc;
#   "like-for-like" THREADS libtorch threads (torch.set_num_threads), AdamW(fused=True) as arena's
#                   fine-tuning uses, and the glibc malloc settings arena applies.
#
#   benchmarks/finetune_speed.sh minilm    # all-MiniLM-L6-v2 cross-encoder, batch 8 x 256 tokens
#                                          # (scripts/setup-models.sh)
#   benchmarks/finetune_speed.sh deberta   # a random DeBERTa-v3-xsmall-shaped pair (S1) classifier,
#                                          # 4 pairs x 512 tokens: DESIGN.md's anchor step
#
# Peak RSS of each process by GNU time (/usr/bin/time): arena's is the whole command (data,
# tokenization, the closing validation pass), Python's the steps alone.
# Needs tools/setup-python.sh. Environment: ROUNDS (3), STEPS (8 timed steps after 2 warm-up
# steps), THREADS (2), PRECISIONS ("float32 bfloat16"), SWIFT_SCRATCH (.build), BEFORE (another
# arena binary, e.g. an older build, run the same way each round as a "before" column, with
# OPENBLAS_NUM_THREADS=THREADS for builds on an OpenBLAS libtorch), JSON_OUT (append every
# measurement as JSON lines). OMP_NUM_THREADS and MKL_NUM_THREADS are unset.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OMP_NUM_THREADS MKL_NUM_THREADS
KIND="${1:-}"
case "$KIND" in
  minilm) BATCH=8; LENGTH=256; ARCHITECTURE=cross; SIDES=1 ;;
  deberta) BATCH=4; LENGTH=512; ARCHITECTURE=pair; SIDES=2 ;;
  *) echo "usage: $0 minilm|deberta" >&2; exit 2 ;;
esac
ROUNDS="${ROUNDS:-3}"
STEPS="${STEPS:-8}"
THREADS="${THREADS:-2}"
PRECISIONS="${PRECISIONS:-float32 bfloat16}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
BEFORE="${BEFORE:-}"
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
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "load average at start: $LOAD_START" >&2

run_arena() {  # SIDE BINARY
  env OPENBLAS_NUM_THREADS="$THREADS" /usr/bin/time -f %M -o "$WORK/arena.rss" "$2" finetune --data "$WORK/data.csv" --model "$MODEL_DIR" \
    --out "$WORK/run" --overwrite --quiet --architecture "$ARCHITECTURE" --max-length "$LENGTH" --batch-size "$BATCH" \
    --max-steps "$TOTAL" --threads "$THREADS" --precision "$precision" --validation-fraction "$FRACTION" \
    --no-swap-averaging --no-calibration --no-edge-cases > /dev/null
  "$PYTHON" - "$WORK/run/training.csv" "$1" "$precision" "$((BATCH * LENGTH * SIDES))" "$WORK/arena.rss" "$THREADS" "$round" >> "$RESULTS" <<'PY'
import csv, json, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
times = [float(r["seconds"]) for r in rows[2:]]
print(json.dumps({"side": sys.argv[2], "variant": "", "precision": sys.argv[3], "median_step_seconds": statistics.median(times),
                  "tokens_per_step": int(sys.argv[4]), "steps": len(times), "peak_rss_kib": int(open(sys.argv[5]).read().split()[-1]),
                  "threads": int(sys.argv[6]), "round": int(sys.argv[7])}))
PY
}

for round in $(seq "$ROUNDS"); do
  for precision in $PRECISIONS; do
    echo "round $round/$ROUNDS, $precision, THREADS=$THREADS" >&2
    run_arena arena "$ARENA"
    [ -n "$BEFORE" ] && run_arena before "$BEFORE"
    for VARIANT in defaults like-for-like; do
      if [ "$VARIANT" = defaults ]; then
        PREFIX=(); OPTIONS=(--threads 0)
      else
        PREFIX=(env MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647); OPTIONS=(--threads "$THREADS" --fused-adamw)
      fi
      "${PREFIX[@]}" /usr/bin/time -f %M -o "$WORK/python.rss" "$PYTHON" benchmarks/finetune_step.py run --kind "$KIND" --model "$MODEL_DIR" \
        --batch "$BATCH" --length "$LENGTH" --steps "$STEPS" --precision "$precision" "${OPTIONS[@]}" > "$WORK/python.json"
      "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); r.update(variant=sys.argv[3], round=int(sys.argv[4]), peak_rss_kib=int(open(sys.argv[2]).read().split()[-1])); print(json.dumps(r))" \
        "$WORK/python.json" "$WORK/python.rss" "$VARIANT" "$round" >> "$RESULTS"
    done
  done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "load average at end: $LOAD_END" >&2
"$PYTHON" - "$RESULTS" "$KIND" "$LOAD_START" "$LOAD_END" "${JSON_OUT:-}" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
kind, load_start, load_end, json_out = sys.argv[2:6]
for r in rows:
    r.update(kind=kind, load_start=load_start, load_end=load_end)
if json_out:
    with open(json_out, "a") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
def pick(side, variant, precision):
    return [r for r in rows if r["side"] == side and r["variant"] == variant and r["precision"] == precision]
def median(side, variant, precision):
    chosen = pick(side, variant, precision)
    return statistics.median(r["median_step_seconds"] for r in chosen) if chosen else None
threads = next(r["threads"] for r in rows if r["side"] == "arena")
default_threads = next(r["threads"] for r in rows if r["variant"] == "defaults")
tokens = rows[0]["tokens_per_step"]
has_before = any(r["side"] == "before" for r in rows)
print(f"{kind}: {tokens} tokens a step, arena --threads {threads}; Python defaults ran {default_threads} thread(s), like-for-like {threads} "
      f"(fused AdamW); load average {load_start} at start, {load_end} at end; seconds a step, median of "
      f"{len(pick('arena', '', rows[0]['precision']))} rounds; speed-up = the other side's s/step / arena's")
header = f"{'precision':10} {'arena s':>8} {'tokens/s':>8}"
if has_before:
    header += f" {'before s':>8} {'speed-up':>8}"
header += f" {'py defaults s':>13} {'speed-up':>8} {'py like s':>9} {'speed-up':>8} {'arena MiB':>9}"
if has_before:
    header += f" {'before MiB':>10}"
header += f" {'py MiB':>7}"
print(header)
for precision in dict.fromkeys(r["precision"] for r in rows):
    arena = median("arena", "", precision)
    defaults, like = median("python", "defaults", precision), median("python", "like-for-like", precision)
    rss = lambda side: max(r["peak_rss_kib"] for r in rows if r["side"] == side and r["precision"] == precision) / 1024
    line = f"{precision:10} {arena:8.3f} {tokens / arena:8.0f}"
    if has_before:
        before = median("before", "", precision)
        line += f" {before:8.3f} {before / arena:8.2f}"
    line += f" {defaults:13.3f} {defaults / arena:8.2f} {like:9.3f} {like / arena:8.2f} {rss('arena'):9.0f}"
    if has_before:
        line += f" {rss('before'):10.0f}"
    line += f" {rss('python'):7.0f}"
    print(line)
print("per round (s/step):")
for precision in dict.fromkeys(r["precision"] for r in rows):
    for side, variant in (("arena", ""), ("before", ""), ("python", "defaults"), ("python", "like-for-like")):
        chosen = pick(side, variant, precision)
        if chosen:
            print(f"  {precision:9} {(side + ' ' + variant).strip():22} " + ", ".join(f"{r['median_step_seconds']:.3f}" for r in chosen))
PY
