#!/usr/bin/env bash
# The main job, end to end: set up, build, then on a labelled Kaggle train.csv
#   eda -> split (80/20, stratified) -> train (5-fold prior and feature model)
#   -> finetune (all-MiniLM-L6-v2 cross-encoder, one epoch) -> predict the held-out test.csv
#   -> evaluate -> report (one HTML page with charts of the data and the runs).
# Data: the first argument, else ../shared/data/arena-sample/train.csv, else a synthetic set.
# Outputs go to work/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product arena
swift build -c release --product ArenaSentencePiece  # the SentencePiece shim, loaded at run time
scripts/setup-models.sh  # the real all-MiniLM-L6-v2 weights, for arena finetune
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
# A small pretrained encoder, fine-tuned for one epoch on 128 tokens so that the demo stays a
# few minutes on a CPU; larger models and longer sequences are a matter of flags.
echo "== arena finetune (all-MiniLM-L6-v2 cross-encoder, 1 epoch, 128 tokens)"
"$ARENA" finetune --data "$OUT/split/train.csv" --model .models/all-MiniLM-L6-v2 --architecture cross \
  --max-length 128 --batch-size 8 --epochs 1 --learning-rate 3e-5 --out "$OUT/runs/minilm" --overwrite
echo "== arena predict (minilm)"
"$ARENA" predict --run "$OUT/runs/minilm" --data "$OUT/split/test.csv" --out "$OUT/submission-minilm.csv"
echo "== arena evaluate (minilm, on the held-out 20%)"
"$ARENA" evaluate --predictions "$OUT/submission-minilm.csv" --labels "$OUT/split/test_labels.csv"
echo "== arena report"
"$ARENA" report --data "$DATA" --run "$OUT/runs/prior" --run "$OUT/runs/linear" --run "$OUT/runs/minilm" --out "$OUT/report.html"
echo "== done: run folders $OUT/runs/{prior,linear,minilm}, submissions $OUT/submission-{prior,linear,minilm}.csv, report $OUT/report.html"
