#!/usr/bin/env bash
# Inference speed (issues 6 and 12): `arena embed` (release build, on the libtorch of the pinned
# PyPI torch wheel) against Python on pip's torch of the same version (.venv, tools/setup-python.sh),
# same texts, float32 and bfloat16 autocast, interleaved ROUNDS times in one run. Python runs
# twice per round:
#   "defaults"      as users run it: sentence-transformers' encode / transformers' model at their
#                   defaults (batch 32 / 8 as below, torch's default thread count, plain glibc malloc);
#   "like-for-like" the same libtorch thread count as arena (THREADS, torch.set_num_threads) and the
#                   glibc malloc settings arena applies (LibTorch.keepFreedMemory).
# Both sides see the same texts, the same length cut and batch size, batches sorted by length; the
# largest difference between arena's embeddings and Python's is printed.
#
#   benchmarks/inference_speed.sh minilm  [DATA.csv] [ROWS]   # all-MiniLM-L6-v2 vs sentence-transformers
#                                                             # (256 tokens, batch 32; scripts/setup-models.sh)
#   benchmarks/inference_speed.sh deberta [DATA.csv] [ROWS]   # a random DeBERTa-v3-xsmall-sized model vs
#                                                             # transformers' DebertaV2Model (512 tokens, batch 8)
#
# DATA defaults to ../shared/data/arena-sample/train.csv, ROWS to 60 (minilm) or 20 (deberta).
# Environment: ROUNDS (3), THREADS (1: arena's --threads and the like-for-like Python's),
# PRECISIONS ("float32 bfloat16"), SWIFT_SCRATCH (.build), BEFORE (another arena binary, e.g. an
# older build, run the same way each round as a "before" column, with OPENBLAS_NUM_THREADS=THREADS
# for builds on an OpenBLAS libtorch), JSON_OUT (append every measurement as JSON lines).
# OMP_NUM_THREADS and MKL_NUM_THREADS are unset so that "defaults" is torch's own default.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OMP_NUM_THREADS MKL_NUM_THREADS
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
PRECISIONS="${PRECISIONS:-float32 bfloat16}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
BEFORE="${BEFORE:-}"
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
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "load average at start: $LOAD_START" >&2

# Runs an arena binary; arena's own clock covers tokenization and forward passes, as encode does.
run_arena() {  # SIDE BINARY OUT
  env OPENBLAS_NUM_THREADS="$THREADS" "$2" embed --model "$MODEL_DIR" --data "$WORK/rows.csv" --out "$3" \
    --threads "$THREADS" --precision "$precision" --batch-size "$BATCH" --max-length "$MAX_LENGTH" 2> "$WORK/arena.log"
  seconds=$(sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' "$WORK/arena.log" | tail -1)
  echo "{\"side\": \"$1\", \"variant\": \"\", \"precision\": \"$precision\", \"seconds\": $seconds, \"threads\": $THREADS, \"round\": $round}" >> "$WORK/arena.jsonl"
}

for round in $(seq "$ROUNDS"); do
  for precision in $PRECISIONS; do
    echo "round $round/$ROUNDS, $precision, THREADS=$THREADS" >&2
    run_arena arena "$ARENA" "$WORK/$precision.safetensors"
    if [ -n "$BEFORE" ]; then
      run_arena before "$BEFORE" "$WORK/before-$precision.safetensors"
      "$PYTHON" - "$WORK/$precision.safetensors" "$WORK/before-$precision.safetensors" "$precision" >> "$WORK/before-difference.jsonl" <<'PY'
import json, sys
from safetensors.torch import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
print(json.dumps({"precision": sys.argv[3], "difference": max((a[k] - b[k]).abs().max().item() for k in ("prompt", "response_a", "response_b"))}))
PY
    fi
    for VARIANT in defaults like-for-like; do
      if [ "$VARIANT" = defaults ]; then
        PREFIX=(); PYTHON_THREADS=0
      else
        PREFIX=(env MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647); PYTHON_THREADS="$THREADS"
      fi
      "${PREFIX[@]}" "$PYTHON" "${PYTHON_SIDE[@]}" --data "$WORK/rows.csv" --rows "$ROWS" --precision "$precision" \
        --threads "$PYTHON_THREADS" --compare "$WORK/$precision.safetensors" > "$WORK/python.json"
      "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); r.update(variant=sys.argv[2], round=int(sys.argv[3])); print(json.dumps(r))" \
        "$WORK/python.json" "$VARIANT" "$round" >> "$RESULTS"
    done
  done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "load average at end: $LOAD_END" >&2
# arena's rows get the token count of the Python side (the same tokenizer on the same texts).
"$PYTHON" - "$RESULTS" "$WORK/arena.jsonl" "$WORK/before-difference.jsonl" "$MODEL" "$LOAD_START" "$LOAD_END" "${JSON_OUT:-}" <<'PY'
import json, os, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
tokens = rows[0]["tokens"]
for line in open(sys.argv[2]):
    r = json.loads(line)
    r.update(tokens=tokens, tokens_per_s=tokens / r["seconds"])
    rows.append(r)
before_differences = [json.loads(line) for line in open(sys.argv[3])] if os.path.exists(sys.argv[3]) else []
model, load_start, load_end, json_out = sys.argv[4:8]
for r in rows:
    r.update(model=model, load_start=load_start, load_end=load_end)
if json_out:
    with open(json_out, "a") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
def pick(side, variant, precision):
    return [r for r in rows if r["side"] == side and r["variant"] == variant and r["precision"] == precision]
def rate(side, variant, precision):
    chosen = pick(side, variant, precision)
    return statistics.median(r["tokens_per_s"] for r in chosen) if chosen else None
threads = rows[-1]["threads"]
default_threads = pick("python", "defaults", rows[0]["precision"])[0]["threads"]
print(f"{model}: {tokens} tokens, arena --threads {threads}; Python defaults ran {default_threads} thread(s), like-for-like {threads}; "
      f"load average {load_start} at start, {load_end} at end; tokens/s, median of {len(pick('arena', '', rows[0]['precision']))} rounds")
has_before = any(r["side"] == "before" for r in rows)
header = f"{'precision':10} {'arena':>7}"
if has_before:
    header += f" {'before':>7} {'after/before':>12}"
header += f" {'py defaults':>11} {'ratio':>6} {'py like-for-like':>16} {'ratio':>6}  max |arena - python|"
if has_before:
    header += "  max |arena - before|"
print(header)
for precision in dict.fromkeys(r["precision"] for r in rows):
    arena = rate("arena", "", precision)
    defaults, like = rate("python", "defaults", precision), rate("python", "like-for-like", precision)
    difference = max(r["max_abs_difference"] for r in rows if r["side"] == "python" and r["precision"] == precision)
    line = f"{precision:10} {arena:7.0f}"
    if has_before:
        before = rate("before", "", precision)
        line += f" {before:7.0f} {arena / before:12.2f}"
    line += f" {defaults:11.0f} {arena / defaults:6.2f} {like:16.0f} {arena / like:6.2f}  {difference:.2e}"
    if has_before:
        line += f"  {max(d['difference'] for d in before_differences if d['precision'] == precision):.2e}"
    print(line)
print("per round (tokens/s):")
for precision in dict.fromkeys(r["precision"] for r in rows):
    for side, variant in (("arena", ""), ("before", ""), ("python", "defaults"), ("python", "like-for-like")):
        chosen = pick(side, variant, precision)
        if chosen:
            print(f"  {precision:9} {(side + ' ' + variant).strip():22} " + ", ".join(f"{r['tokens_per_s']:.0f}" for r in chosen))
PY
