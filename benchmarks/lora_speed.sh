#!/usr/bin/env bash
# LoRA training step of a ~100M-parameter Llama-shaped random model (issue 15): `arena finetune
# --lora` (release build, on the libtorch of the pinned PyPI torch wheel) against the same step in
# transformers + peft (benchmarks/lora_step.py, pip torch of the same version) in the same run:
# batch 2 x 512 tokens, the base in bfloat16, LoRA r 16 / alpha 32 / dropout 0.05 on every
# projection, adapters and head in float32, bfloat16 autocast, cross-entropy, clipping, AdamW;
# with and without activation checkpointing (arena --gradient-checkpointing; transformers
# gradient_checkpointing_enable(use_reentrant=True) + enable_input_require_grads).
#
#   benchmarks/lora_speed.sh
#
# Time per step: the median of the timed steps (arena: training.csv's seconds, the step alone;
# Python: the same span). Peak memory: the peak RSS of each process by GNU time; Python also
# reports its RSS once the model is loaded (torch's CUDA-build import alone is ~740 MB), arena's
# peak includes reading the data and the closing validation pass. Python runs twice per
# configuration: "defaults" (torch's thread count, AdamW's default implementation) and
# "like-for-like" (THREADS threads, AdamW(fused=True) as arena's fine-tuning uses).
# Needs tools/setup-python.sh. Environment: STEPS (3 timed steps after 2 warm-up steps), THREADS
# (2), SIZE (100m or tiny), SWIFT_SCRATCH (.build), JSON_OUT (append every measurement as JSON lines).
set -euo pipefail
cd "$(dirname "$0")/.."
unset OMP_NUM_THREADS MKL_NUM_THREADS
STEPS="${STEPS:-3}"
THREADS="${THREADS:-2}"
SIZE="${SIZE:-100m}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
PYTHON=.venv/bin/python
swift build -c release --scratch-path "$SCRATCH" --product arena >&2
ARENA="$SCRATCH/release/arena"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TOTAL=$((STEPS + 2))
"$PYTHON" benchmarks/lora_step.py make-model "$WORK/model" --size "$SIZE" >&2
# arena reads text: the Llama-3-style tokenizer of the tests (its ids are a subset of the model's).
cp Tests/TokenizersTests/Fixtures/decoder-tokenizers/llama3/{tokenizer.json,tokenizer_config.json,special_tokens_map.json} "$WORK/model/"
ROWS=$((TOTAL * 2 + 4))
"$PYTHON" benchmarks/finetune_step.py make-data "$WORK/data.csv" --rows "$ROWS" >&2
FRACTION=$("$PYTHON" -c "print(4 / $ROWS + 1e-9)")
RESULTS="$WORK/results.jsonl"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

for CHECKPOINTING in no yes; do
  EXTRA=""; PYEXTRA=""
  if [ "$CHECKPOINTING" = yes ]; then EXTRA="--gradient-checkpointing"; PYEXTRA="--checkpointing"; fi
  echo "checkpointing $CHECKPOINTING: arena" >&2
  /usr/bin/time -f %M -o "$WORK/arena.rss" "$ARENA" finetune --data "$WORK/data.csv" --model "$WORK/model" --out "$WORK/run" --overwrite --quiet \
    --lora --lora-rank 16 --lora-alpha 32 --lora-dropout 0.05 --lora-base bfloat16 --precision bfloat16 $EXTRA \
    --max-length 512 --batch-size 2 --max-steps "$TOTAL" --learning-rate 1e-4 --threads "$THREADS" --validation-fraction "$FRACTION" \
    --no-swap-averaging --no-calibration --no-edge-cases > /dev/null
  "$PYTHON" - "$WORK/run/training.csv" "$WORK/arena.rss" "$CHECKPOINTING" "$THREADS" >> "$RESULTS" <<'PY'
import csv, json, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
times = [float(r["seconds"]) for r in rows[2:]]
print(json.dumps({"side": "arena", "checkpointing": sys.argv[3] == "yes", "median_step_seconds": statistics.median(times),
                  "steps": len(times), "losses": [float(r["training_loss"]) for r in rows],
                  "peak_rss_kib": int(open(sys.argv[2]).read().split()[-1]), "threads": int(sys.argv[4])}))
PY
  for VARIANT in defaults like-for-like; do
    echo "checkpointing $CHECKPOINTING: python ($VARIANT)" >&2
    OPTIONS=""
    [ "$VARIANT" = like-for-like ] && OPTIONS="--threads $THREADS --fused-adamw"
    /usr/bin/time -f %M -o "$WORK/python.rss" "$PYTHON" benchmarks/lora_step.py run --model "$WORK/model" --batch 2 --length 512 \
      --steps "$STEPS" $PYEXTRA $OPTIONS 2>/dev/null | "$PYTHON" -c "
import json, sys
row = json.loads(sys.stdin.read().strip().splitlines()[-1]); row['variant'] = '$VARIANT'
row['time_peak_rss_kib'] = int(open('$WORK/python.rss').read().split()[-1]); print(json.dumps(row))" >> "$RESULTS"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
[ -n "${JSON_OUT:-}" ] && cat "$RESULTS" >> "$JSON_OUT"
"$PYTHON" - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("| side | checkpointing | median step (s) | peak RSS (MiB) | loaded RSS (MiB) |")
print("| --- | --- | --- | --- | --- |")
for r in rows:
    name = r["side"] + (f" ({r['variant']})" if r.get("variant") else "")
    loaded = f"{r['loaded_rss_kib'] / 1024:,.0f}" if "loaded_rss_kib" in r else ""
    print(f"| {name} | {'yes' if r['checkpointing'] else 'no'} | {r['median_step_seconds']:.3f} | {r['peak_rss_kib'] / 1024:,.0f} | {loaded} |")
for checkpointing in (False, True):
    arena = next(r for r in rows if r["side"] == "arena" and r["checkpointing"] == checkpointing)
    for r in rows:
        if r["side"] == "python" and r["checkpointing"] == checkpointing:
            print(f"checkpointing {checkpointing}, python {r['variant']} / arena: time {r['median_step_seconds'] / arena['median_step_seconds']:.2f}x, "
                  f"peak RSS {r['peak_rss_kib'] / arena['peak_rss_kib']:.2f}x")
PY
