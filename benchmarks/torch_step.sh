#!/usr/bin/env bash
# Binding overhead (issue 5): a 6-layer, 384-wide BERT-style encoder training step driven from
# Swift (benchmarks/TorchStep: the Torch module's functional ops) against the same step, op for
# op, in Python (benchmarks/torch_step.py: torch.nn.functional), on the same libtorch version (the
# pinned PyPI torch wheel's: .libtorch for Swift, .venv's pip torch for Python), run alternately
# ROUNDS times each (python, swift, python, swift, ...) in one run so that
# machine noise hits both sides. Prints the median step time of each side (and of its forward,
# backward and optimizer phases), tokens/s, minor page faults per step (fresh pages the kernel
# maps and zeroes when malloc has given memory back), and swift / python (the overhead is the
# ratio - 1); checks that the first-step losses are sane (about ln 3) and equal on both sides
# (same seeds, same weights, same dropout masks).
#
#   benchmarks/torch_step.sh [options for both sides, e.g. --steps 10 --warmup 2 --threads 2]
#
# Environment: ROUNDS (default 3); SWIFT_SCRATCH (swift build's scratch path, default .build);
# PYTHON (default .venv/bin/python, made by tools/setup-python.sh). Threads: --threads (default
# 1) on both sides (torch.set_num_threads: OpenMP and MKL); OMP_NUM_THREADS and MKL_NUM_THREADS
# are unset.
set -euo pipefail
unset OMP_NUM_THREADS MKL_NUM_THREADS
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
PYTHON="${PYTHON:-.venv/bin/python}"

swift build -c release --scratch-path "$SCRATCH" --product torch-step-benchmark >&2
SWIFT_BIN="$SCRATCH/release/torch-step-benchmark"
RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS: python" >&2
  "$PYTHON" benchmarks/torch_step.py --json "$@" >> "$RESULTS"
  echo "round $round/$ROUNDS: swift" >&2
  "$SWIFT_BIN" --json "$@" >> "$RESULTS"
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$RESULTS" "$LOAD_END" <<'PY'
import json, math, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {side: [r for r in rows if r["side"] == side] for side in ("python", "swift")}
first = by["python"][0]
print(f"{first['layers']} layers, batch {first['batch']} x {first['length']} tokens, {first['threads']} thread(s), "
      f"{first['steps']} timed steps after {first['warmup']} warm-up, {len(by['python'])} rounds per side; "
      f"load average at end {sys.argv[2]}")
versions = {side: rs[0]["libtorch"] for side, rs in by.items()}
print(f"libtorch: swift {versions['swift']}, python {versions['python']}")

def med(side, key):
    return statistics.median(r[key] for r in by[side])

print(f"{'side':7} {'step s (median of rounds)':26} {'per round':22} {'forward':>8} {'backward':>9} {'optimizer':>10} {'tokens/s':>9} {'faults/step':>12}")
for side, rs in by.items():
    per_round = ", ".join(f"{r['median_s']:.3f}" for r in rs)
    tokens = rs[0]["batch"] * rs[0]["length"]
    print(f"{side:7} {med(side, 'median_s'):<26.4f} {per_round:22} {med(side, 'forward_median_s'):8.4f} "
          f"{med(side, 'backward_median_s'):9.4f} {med(side, 'optimizer_median_s'):10.4f} {tokens / med(side, 'median_s'):9.0f} {med(side, 'page_faults_per_step'):12.0f}")
ratios = {key: med("swift", key) / med("python", key)
          for key in ("median_s", "forward_median_s", "backward_median_s", "optimizer_median_s")}
print("page faults per step (forward / backward / optimizer): " + "; ".join(
    f"{side} {med(side, 'forward_page_faults'):.0f} / {med(side, 'backward_page_faults'):.0f} / {med(side, 'optimizer_page_faults'):.0f}"
    for side in by))
print(f"swift / python: step {ratios['median_s']:.3f} (binding overhead {100 * (ratios['median_s'] - 1):+.1f}%); "
      f"forward {ratios['forward_median_s']:.3f}, backward {ratios['backward_median_s']:.3f}, "
      f"optimizer {ratios['optimizer_median_s']:.3f}")

ok = True
if versions["swift"].split("+")[0] != versions["python"].split("+")[0]:
    print(f"CHECK FAILED: the two sides run different libtorch versions ({versions['swift']} and {versions['python']})")
    ok = False
ln3 = math.log(3)
for side, rs in by.items():
    loss = rs[0]["first_loss"]
    if not abs(loss - ln3) < 0.5:
        print(f"CHECK FAILED: {side} first-step loss {loss:.4f} is far from ln 3 = {ln3:.4f}")
        ok = False
py_losses, swift_losses = by["python"][0]["losses"], by["swift"][0]["losses"]
same = sum(1 for a, b in zip(py_losses, swift_losses) if a == b)
largest = max(abs(a - b) for a, b in zip(py_losses, swift_losses))
py_first, swift_first = by["python"][0]["first_loss"], by["swift"][0]["first_loss"]
print(f"first-step loss: python {py_first:.6f}, swift {swift_first:.6f} (ln 3 = {ln3:.6f}); "
      f"timed-step losses equal on {same} of {len(py_losses)} steps, largest difference {largest:.2e}")
if abs(py_first - swift_first) > 1e-4:
    print("CHECK FAILED: the two sides' first-step losses differ: they are not computing the same step")
    ok = False
sys.exit(0 if ok else 1)
PY
