#!/usr/bin/env bash
# The main job, end to end: set up, build, then on a labelled Kaggle train.csv
#   eda -> split (80/20, stratified) -> train (5-fold) -> predict the held-out test.csv
#   -> evaluate -> report (one HTML page with charts of the data and the runs).
# Data: the first argument, else ../shared/data/arena-sample/train.csv, else a synthetic set.
# Outputs go to work/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product arena
swift build -c release --product ArenaSentencePiece  # the SentencePiece shim, loaded at run time
ARENA=.build/release/arena
OUT=work/demo
mkdir -p "$OUT"

DATA="${1:-}"
if [ -z "$DATA" ] && [ -f ../shared/data/arena-sample/train.csv ]; then
  DATA=../shared/data/arena-sample/train.csv
fi
if [ -z "$DATA" ]; then
  echo "No train.csv given and ../shared/data/arena-sample/train.csv is absent:"
  echo "using a SYNTHETIC data set (arena synth --rows 2000 --seed 0); its scores say nothing about real data."
  "$ARENA" synth --rows 2000 --seed 0 --out "$OUT/synthetic.csv"
  DATA="$OUT/synthetic.csv"
fi
echo "== data: $DATA"

echo "== arena eda"
"$ARENA" eda "$DATA"
echo "== arena split"
"$ARENA" split --data "$DATA" --test-fraction 0.2 --seed 0 --out-dir "$OUT/split"
for model in prior linear; do
  echo "== arena train --model $model"
  "$ARENA" train --data "$OUT/split/train.csv" --model "$model" --folds 5 --out "$OUT/runs/$model" --overwrite
  echo "== arena predict ($model)"
  "$ARENA" predict --run "$OUT/runs/$model" --data "$OUT/split/test.csv" --out "$OUT/submission-$model.csv"
  echo "== arena evaluate ($model, on the held-out 20%)"
  "$ARENA" evaluate --predictions "$OUT/submission-$model.csv" --labels "$OUT/split/test_labels.csv"
done
echo "== arena report"
"$ARENA" report --data "$DATA" --run "$OUT/runs/prior" --run "$OUT/runs/linear" --out "$OUT/report.html"
echo "== done: run folders $OUT/runs/{prior,linear}, submissions $OUT/submission-{prior,linear}.csv, report $OUT/report.html"
