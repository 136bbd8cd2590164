#!/usr/bin/env bash
# The CUDA checks: on a Linux x86_64 machine with an NVIDIA GPU (driver for CUDA 13), the Swift 6
# toolchain and network access, builds arena against the pinned wheel's CUDA libtorch and runs
#   1. arena doctor (libtorch must see the GPU),
#   2. the CUDA test suite (ops forward and backward, the BERT fixture against transformers'
#      reference, float16 / bfloat16 autocast, fused AdamW: each on the GPU against the CPU)
#      and the op, model and training parity suites,
#   3. a short all-MiniLM-L6-v2 fine-tune on the GPU (bfloat16 autocast), then `arena predict`
#      of its run on the GPU and on the CPU, which must agree,
# and prints a summary. Exit status 0 only when everything passed.
#
#   scripts/gpu-check.sh            (about 3 GB of CUDA libraries are downloaded the first time)
#
# It replaces the CPU libtorch in .libtorch with the CUDA one (scripts/setup-libtorch.sh --cuda);
# run scripts/setup-libtorch.sh afterwards to go back (the CPU build is the default).
set -euo pipefail
cd "$(dirname "$0")/.."
summary=()
fail() { summary+=("FAIL  $1"); printf '%s\n' "${summary[@]}"; exit 1; }
pass() { summary+=("ok    $1"); echo "== ok: $1"; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi not found"
scripts/setup.sh
scripts/setup-models.sh
scripts/setup-libtorch.sh --cuda
swift build --build-tests
ARENA=.build/debug/arena

"$ARENA" doctor | tee /tmp/arena-doctor.txt
grep -q "CUDA devices    [1-9]" /tmp/arena-doctor.txt || fail "arena doctor: libtorch sees no CUDA device"
pass "arena doctor: $(grep 'CUDA devices' /tmp/arena-doctor.txt | tr -s ' ')"

export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
swift test --skip-build --filter 'CUDATests' 2>&1 | tee /tmp/arena-cuda-tests.txt
grep -q "Suite CUDATests passed" /tmp/arena-cuda-tests.txt || fail "CUDA test suite"
grep -q "skipped" /tmp/arena-cuda-tests.txt && fail "CUDA test suite was skipped (no GPU seen by the tests)"
pass "CUDA test suite"
swift test --skip-build --filter 'OpParityTests|TrainingParityTests|FusedAdamWTests|BertParityTests|DebertaV2ParityTests|PreferenceClassifierParityTests' \
  || fail "parity suites with the CUDA build"
pass "parity suites with the CUDA build"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$ARENA" synth --rows 200 --seed 1 --out "$WORK/train.csv" --quiet
"$ARENA" synth --rows 40 --seed 2 --out "$WORK/test.csv" --quiet
start=$(date +%s)
"$ARENA" finetune --data "$WORK/train.csv" --model .models/all-MiniLM-L6-v2 --out "$WORK/run" --device cuda \
  --precision bfloat16 --max-length 256 --batch-size 16 --max-steps 40 --learning-rate 3e-5 || fail "arena finetune --device cuda"
pass "arena finetune --device cuda (40 steps, bfloat16, $(( $(date +%s) - start )) s)"
"$ARENA" predict --run "$WORK/run" --data "$WORK/test.csv" --out "$WORK/gpu.csv" --device cuda || fail "arena predict --device cuda"
"$ARENA" predict --run "$WORK/run" --data "$WORK/test.csv" --out "$WORK/cpu.csv" --device cpu || fail "arena predict --device cpu"
python3 - "$WORK/gpu.csv" "$WORK/cpu.csv" <<'PY' || fail "GPU and CPU predictions of the same run disagree"
import csv, sys
gpu, cpu = (list(csv.reader(open(path)))[1:] for path in sys.argv[1:])
assert [r[0] for r in gpu] == [r[0] for r in cpu], "ids differ"
worst = max(abs(float(a) - float(b)) for g, c in zip(gpu, cpu) for a, b in zip(g[1:], c[1:]))
print(f"largest |P_gpu - P_cpu| = {worst:.2e} over {len(gpu)} battles (bfloat16 autocast)")
sys.exit(0 if worst < 2e-2 else 1)
PY
pass "arena predict: GPU and CPU agree"

printf '\n== gpu-check summary\n'
printf '%s\n' "${summary[@]}"
