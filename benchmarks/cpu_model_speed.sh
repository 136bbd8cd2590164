#!/usr/bin/env bash
# Speed of the fast CPU model on the full competition size, Swift side:
#   feature extraction + 5-fold training (arena train) on 57,477 synthetic rows,
#   and prediction of 25,000 rows (arena predict), for --model linear and --model gbdt.
# Run after `swift build -c release`. The Python side of the same steps is
# benchmarks/python_speed.py; run both in one session for the ratio (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ARENA=.build/release/arena
DIR=work/bench
mkdir -p "$DIR"
[ -f "$DIR/synthetic-57k.csv" ] || "$ARENA" synth --rows 57477 --seed 0 --out "$DIR/synthetic-57k.csv"
[ -f "$DIR/synthetic-25k.csv" ] || "$ARENA" synth --rows 25000 --seed 1 --out "$DIR/synthetic-25k.csv"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# Pass --tfidf to time the TF-IDF variants as well (much slower on 57k rows).
EXTRAS=("")
[ "${1:-}" = "--tfidf" ] && EXTRAS+=("--tfidf")
for model in ${MODELS:-linear gbdt}; do
  for extra in "${EXTRAS[@]}"; do
    name="$model${extra:+-tfidf}"
    start=$(date +%s.%N)
    /usr/bin/time -f "%e s wall, %M KiB peak RSS" "$ARENA" train --data "$DIR/synthetic-57k.csv" --model "$model" $extra \
      --folds 5 --out "$DIR/runs/$name" --overwrite 2>&1 | grep -E "features: [0-9]|fold [0-9]/5, done|^out-of-fold log loss [0-9]|wall"
    /usr/bin/time -f "%e s wall, %M KiB peak RSS (predict 25,000 rows)" "$ARENA" predict --run "$DIR/runs/$name" \
      --data "$DIR/synthetic-25k.csv" --out "$DIR/submission-$name.csv" 2>&1 | grep -E "wall"
    echo "== $name done in $(echo "$(date +%s.%N) - $start" | bc) s"
  done
done
