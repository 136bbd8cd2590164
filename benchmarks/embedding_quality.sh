#!/usr/bin/env bash
# 5-fold out-of-fold log loss of the feature models with embedding features (`--embeddings`)
# and stacking (`--stack`) on a labelled train.csv (default: the real 1,000-row sample), seeds
# 0 1 2, on the folds of benchmarks/quality.sh (every oof.csv checked with benchmarks/folds.py).
# The embeddings are computed once with `arena embed` (all-MiniLM-L6-v2, mean pooling,
# normalised, 256 tokens) and reused by every configuration.
# Run after `swift build -c release --product arena`, scripts/setup-models.sh and
# tools/setup-python.sh:
#   bash benchmarks/embedding_quality.sh [DATA] [MODEL_DIR]
# Configurations: SPECS="spec;spec;..." where a spec is `train` options (default model linear);
# EMB stands for the embeddings file and RUN(spec) for the run of that spec with the same seed
# (for --stack). Each spec's runs are work/bench/embedding-quality/NAME-SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/arena-sample/train.csv}"
MODEL="${2:-.models/all-MiniLM-L6-v2}"
ARENA=.build/release/arena
OUT=work/bench/embedding-quality
mkdir -p "$OUT"
EMBEDDINGS="$OUT/minilm.safetensors"
if [ ! -f "$EMBEDDINGS" ]; then
  start=$(date +%s)
  "$ARENA" embed --model "$MODEL" --data "$DATA" --out "$EMBEDDINGS" --quiet
  echo "arena embed: $(( $(date +%s) - start )) s" >&2
fi
DEFAULT_SPECS="none;--embeddings EMB --embedding-difference 0;--embeddings EMB --embedding-difference 32"
DEFAULT_SPECS+=";--embeddings EMB --embedding-difference 64;--embeddings EMB --embedding-difference 384"
DEFAULT_SPECS+=";--embeddings EMB --embedding-difference 0 --embedding-prompt 8;--embeddings EMB --embedding-difference 32 --embedding-prompt 32"
DEFAULT_SPECS+=";--model gbdt;--model gbdt --embeddings EMB --embedding-difference 32"
DEFAULT_SPECS+=";--stack RUN(--model gbdt);--stack RUN(--model gbdt --embeddings EMB --embedding-difference 32)"
DEFAULT_SPECS+=";--embeddings EMB --embedding-difference 32 --stack RUN(--model gbdt --embeddings EMB --embedding-difference 32)"
IFS=';' read -r -a specs <<< "${SPECS:-$DEFAULT_SPECS}"
name_of() { echo "$1" | tr -d ' ()-' | tr '/' '_'; }
printf "| configuration | seed 0 | seed 1 | seed 2 | mean | seconds (seed 0) |\n| --- | --- | --- | --- | --- | --- |\n"
for spec in "${specs[@]}"; do
  losses=()
  seconds=""
  for seed in 0 1 2; do
    name="$(name_of "$spec")-$seed"
    args="${spec//EMB/$EMBEDDINGS}"
    [ "$args" != none ] || args=""
    # RUN(spec) -> that spec's run folder for this seed.
    while [[ "$args" =~ RUN\(([^\)]*)\) ]]; do
      args="${args/"${BASH_REMATCH[0]}"/$OUT/$(name_of "${BASH_REMATCH[1]//$EMBEDDINGS/EMB}")-$seed}"
    done
    [[ "$args" == *--model* ]] || args="--model linear $args"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$ARENA" train --data "$DATA" --seed "$seed" $args --out "$OUT/$name" --overwrite --quiet > "$OUT/$name.log"
    [ -n "$seconds" ] || seconds=$(.venv/bin/python -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
    .venv/bin/python benchmarks/folds.py --check "$OUT/$name/oof.csv" --seed "$seed" > /dev/null
    losses+=("$(.venv/bin/python -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['oof_log_loss'])" "$OUT/$name/metrics.json")")
  done
  mean=$(.venv/bin/python -c "import sys; v=[float(x) for x in sys.argv[1:]]; print('%.4f' % (sum(v)/len(v)))" "${losses[@]}")
  label="$spec"; [ "$spec" != none ] || label="(hand features only)"
  [[ "$(echo "$spec" | sed 's/RUN([^)]*)//g')" == *--model* ]] || label="--model linear $label"
  echo "| \`${label//EMB/E}\` | ${losses[0]} | ${losses[1]} | ${losses[2]} | $mean | $seconds |"
done
