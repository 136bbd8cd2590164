#!/usr/bin/env bash
# Binding overhead (issue 5): a 6-layer, 384-wide BERT-style encoder training step driven from
# Swift (benchmarks/TorchStep, through the Models and Torch modules) against the same step in
# Python (benchmarks/torch_step.py, transformers' BertModel), on the same libtorch (Debian's
# 1.13), interleaved ROUNDS times so that machine noise hits both sides.
#
#   benchmarks/torch_step.sh [extra options for both sides, e.g. --threads 2 --steps 10]
#
# Environment: ROUNDS (default 3), SWIFT_SCRATCH (build folder, default .build), PYTHON
# (default .venv/bin/python, made by tools/setup-python.sh), OPENBLAS_NUM_THREADS (default 1:
# OpenBLAS runs its own threads whatever libtorch's thread count is).
set -euo pipefail
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
PYTHON="${PYTHON:-.venv/bin/python}"
swift build -c release --scratch-path "$SCRATCH" --product torch-step-benchmark >&2
SWIFT_BIN="$SCRATCH/release/torch-step-benchmark"
RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  "$PYTHON" benchmarks/torch_step.py --json "$@" >> "$RESULTS"
  "$SWIFT_BIN" --json "$@" >> "$RESULTS"
done
"$PYTHON" - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {side: [r for r in rows if r["side"] == side] for side in ("python", "swift")}
medians = {side: statistics.median(r["median_s"] for r in rs) for side, rs in by.items()}
print(f"{'side':8} {'median s/step (per round)':40} {'tokens/s':>9}  first loss")
for side, rs in by.items():
    per_round = ", ".join(f"{r['median_s']:.3f}" for r in rs)
    print(f"{side:8} {medians[side]:.3f} ({per_round}){'':6} {rs[0]['tokens_per_s']:9.0f}  {rs[0]['losses'][0]:.3f}")
ratio = medians["swift"] / medians["python"]
print(f"swift / python = {ratio:.3f}  (binding overhead {100 * (ratio - 1):+.1f}%)")
PY
