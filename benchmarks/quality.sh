#!/usr/bin/env bash
# 5-fold out-of-fold log loss on a labelled train.csv (default: the real 1,000-row sample),
# for arena's models and the Python pipelines of benchmarks/python_baselines.py, on the same
# folds (benchmarks/folds.py reproduces arena's fold assignment and checks it), seeds 0 1 2.
# Run after `swift build -c release` and tools/setup-python.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/arena-sample/train.csv}"
ARENA=.build/release/arena
OUT=work/bench/quality
mkdir -p "$OUT"
printf "| model | seed 0 | seed 1 | seed 2 | mean |\n| --- | --- | --- | --- | --- |\n"
for spec in "prior" "linear" "linear --tfidf" "gbdt" "gbdt --tfidf"; do
  losses=()
  for seed in 0 1 2; do
    name="${spec// /}-$seed"
    "$ARENA" train --data "$DATA" --model $spec --seed "$seed" --out "$OUT/$name" --overwrite --quiet > "$OUT/$name.log"
    .venv/bin/python benchmarks/folds.py --check "$OUT/$name/oof.csv" --seed "$seed" > /dev/null
    losses+=("$(.venv/bin/python -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['oof_log_loss'])" "$OUT/$name/metrics.json")")
  done
  mean=$(.venv/bin/python -c "import sys; v=[float(x) for x in sys.argv[1:]]; print('%.4f' % (sum(v)/len(v)))" "${losses[@]}")
  echo "| arena $spec | ${losses[0]} | ${losses[1]} | ${losses[2]} | $mean |"
done
.venv/bin/python benchmarks/python_baselines.py --data "$DATA" --folds 5 --seeds 0 1 2 --json "$OUT/python.json"
