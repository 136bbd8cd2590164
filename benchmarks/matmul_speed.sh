#!/usr/bin/env bash
# Matrix-product throughput (issue 12): an n x n torch.matmul through arena's Torch module
# (benchmarks/MatmulBench, release build, on the libtorch arena links) against the same product in
# PyTorch (benchmarks/matmul_speed.py, .venv's pip torch, the same version), float32 and bfloat16,
# at 1 and 2 libtorch threads (torch.set_num_threads on both sides), interleaved ROUNDS times
# (swift, python, swift, python, ...). Prints GFLOP/s (2 n^3 / the median time) per side, the
# ratio swift / python, and 2 threads / 1 thread on each side.
#
#   benchmarks/matmul_speed.sh [--size 2048] [--repeats 20] [--warmup 3]
#
# Environment: ROUNDS (3), THREAD_COUNTS ("1 2"), DTYPES ("float32 bfloat16"), SWIFT_SCRATCH (.build).
# OMP_NUM_THREADS and MKL_NUM_THREADS are unset: the thread count is set by each side's call.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OMP_NUM_THREADS MKL_NUM_THREADS
ROUNDS="${ROUNDS:-3}"
THREAD_COUNTS="${THREAD_COUNTS:-1 2}"
DTYPES="${DTYPES:-float32 bfloat16}"
SCRATCH="${SWIFT_SCRATCH:-.build}"
PYTHON="${PYTHON:-.venv/bin/python}"
swift build -c release --scratch-path "$SCRATCH" --product matmul-benchmark >&2
RESULTS="$(mktemp)"
trap 'rm -f "$RESULTS"' EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$ROUNDS"); do
  for threads in $THREAD_COUNTS; do
    for dtype in $DTYPES; do
      echo "round $round/$ROUNDS: $dtype, $threads thread(s)" >&2
      "$SCRATCH/release/matmul-benchmark" --json --dtype "$dtype" --threads "$threads" "$@" >> "$RESULTS"
      "$PYTHON" benchmarks/matmul_speed.py --json --dtype "$dtype" --threads "$threads" "$@" >> "$RESULTS"
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$PYTHON" - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
first = {r["side"]: r["libtorch"] for r in rows}
print(f"{rows[0]['size']} x {rows[0]['size']} matmul; swift: libtorch {first['swift']}, python: torch {first['python']}; "
      f"GFLOP/s, median of {sum(1 for r in rows if r['side'] == 'swift') // len({(r['dtype'], r['threads']) for r in rows})} rounds")
def gflops(side, dtype, threads):
    return statistics.median(r["gflops"] for r in rows if r["side"] == side and r["dtype"] == dtype and r["threads"] == threads)
thread_counts = sorted({r["threads"] for r in rows})
print(f"{'dtype':9} {'threads':>7} {'swift':>8} {'python':>8} {'swift/python':>12}  per round (swift | python)")
for dtype in dict.fromkeys(r["dtype"] for r in rows):
    for threads in thread_counts:
        swift, python = gflops("swift", dtype, threads), gflops("python", dtype, threads)
        rounds = lambda side: ", ".join(f"{r['gflops']:.0f}" for r in rows if r["side"] == side and r["dtype"] == dtype and r["threads"] == threads)
        print(f"{dtype:9} {threads:7} {swift:8.0f} {python:8.0f} {swift / python:12.2f}  {rounds('swift')} | {rounds('python')}")
    if len(thread_counts) > 1:
        low, high = thread_counts[0], thread_counts[-1]
        print(f"{'':9} {f'{high}/{low}':>7} {gflops('swift', dtype, high) / gflops('swift', dtype, low):8.2f} "
              f"{gflops('python', dtype, high) / gflops('python', dtype, low):8.2f}")
checks = {}
for r in rows:
    if r["dtype"] == "float32":
        checks.setdefault(r["side"], r["checksum"])
if len(checks) == 2:
    print(f"float32 checksum (sum of the product): swift {checks['swift']:.6g}, python {checks['python']:.6g}")
PY
