#!/usr/bin/env bash
# Each `arena finetune --preset` on a labelled train.csv (default: the real 1,000-row sample),
# with all-MiniLM-L6-v2 in place of DeBERTa-v3 (no DeBERTa weights can be downloaded here):
# one fold, the preset's own 80/20 (S2: 90/10) split, and a short schedule, since the notebooks'
# 512-token sequences over 3 epochs take hours on a 2-core CPU: --max-length LENGTH (32) for the
# pair presets, CROSS_LENGTH (64) for the cross-encoder; the S1 preset keeps its 3 epochs (its
# per-epoch ramp starts at 1e-6, so one epoch would show nothing), the others run EPOCHS (1).
# Prints the validation log loss of each, its time, and the class prior on the same rows.
# Run after `swift build -c release --product arena` and scripts/setup-models.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/arena-sample/train.csv}"
ARENA=.build/release/arena
MODEL=.models/all-MiniLM-L6-v2
OUT=work/bench/presets
LENGTH="${LENGTH:-32}"
CROSS_LENGTH="${CROSS_LENGTH:-64}"
EPOCHS="${EPOCHS:-1}"
THREADS="${THREADS:-2}"
mkdir -p "$OUT"
lscpu | grep "Model name" || true
printf "| preset | options added | validation rows | validation log loss | class prior on those rows | time |\n| --- | --- | --- | --- | --- | --- |\n"
for preset in shared-encoder shared-encoder-sep shared-encoder-features cross-encoder; do
  length=$LENGTH
  [ "$preset" = cross-encoder ] && length=$CROSS_LENGTH
  epochs=()
  [ "$preset" != shared-encoder ] && epochs=(--epochs "$EPOCHS")
  started=$(date +%s)
  "$ARENA" finetune --preset "$preset" --data "$DATA" --model "$MODEL" --out "$OUT/$preset" --overwrite \
    --max-length "$length" "${epochs[@]}" --threads "$THREADS" --quiet > "$OUT/$preset.log" 2>&1
  seconds=$(( $(date +%s) - started ))
  # The prior of the training rows scored on the validation rows (oof.csv holds them with their labels).
  .venv/bin/python - "$OUT/$preset" "$preset" "--max-length $length ${epochs[*]}" "$seconds" <<'PY'
import csv, json, math, sys
run, preset, added, seconds = sys.argv[1:]
metrics = json.load(open(run + "/metrics.json"))
rows = list(csv.DictReader(open(run + "/oof.csv")))
config = json.load(open(run + "/config.json"))
names = ["model_a", "model_b", "tie"]
# Class shares of the whole file minus the validation rows: the prior a model trained on them would learn.
import collections
total = collections.Counter()
with open(config["data"]) as f:
    for r in csv.DictReader(f):
        for k, n in zip(["winner_model_a", "winner_model_b", "winner_tie"], names):
            if r[k] == "1": total[n] += 1
held = collections.Counter(r["label"] for r in rows)
train = {n: total[n] - held[n] for n in names}
s = sum(train.values())
prior = -sum(math.log(train[r["label"]] / s) for r in rows) / len(rows)
print(f"| `{preset}` | `{added.strip()}` | {len(rows)} | {metrics['oof_log_loss']:.4f} | {prior:.4f} | {int(seconds)//60} min {int(seconds)%60} s |")
PY
done
