#!/usr/bin/env bash
# Creates .venv, the Python used only by tools/ (fixture writers) and benchmarks/ (side-by-side
# runs): a plain venv (no system site packages) holding exactly the packages pinned in
# tools/requirements.txt, torch among them: the PyPI torch wheel whose libtorch arena links
# (scripts/setup-libtorch.sh), so the reference and arena run the same kernels.
#
#   tools/setup-python.sh              (PYTHON=/path/to/python3.11 to choose the interpreter)
#   tools/setup-python.sh --gemma2     also the overlay .venv-gemma2-overlay (tools/requirements-gemma2.txt:
#                                      transformers 4.42.4 for tools/make_gemma2_fixtures.py, used as
#                                      PYTHONPATH=.venv-gemma2-overlay .venv/bin/python; .venv keeps 4.40.2)
#   tools/setup-python.sh --llama3     also the overlay .venv-llama3-overlay (tools/requirements-llama3.txt:
#                                      transformers 4.43.4 for tools/make_rope_scaling_fixtures.py --llama3)
#   (both flags may be given; each overlay is tools/requirements-NAME.txt in .venv-NAME-overlay)
#
# About 6 GB: the torch wheel is the CUDA build and imports its CUDA libraries even on CPU.
# Removes an old .venv first when it cannot hold the pinned set: one made with
# --system-site-packages (as before, for Debian's python3-torch 1.13), another Python than 3.11,
# or another torch. Then checks that `import torch` in .venv gives the pinned version from .venv
# itself, and that nothing else is installed. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS=tools/requirements.txt

fail() { echo "setup-python.sh: $*" >&2; exit 1; }

OVERLAYS=()
for argument in "$@"; do
  case "$argument" in
    --gemma2) OVERLAYS+=(gemma2) ;;
    --llama3) OVERLAYS+=(llama3) ;;
    *) fail "unknown argument $argument (only --gemma2, --llama3)" ;;
  esac
done

TORCH_PIN="$(sed -n 's/^torch==\([^ ]*\).*/\1/p' "$REQUIREMENTS")"
[ -n "$TORCH_PIN" ] || fail "$REQUIREMENTS pins no torch version"
LIBTORCH_VERSION="$(sed -n 's/^TORCH_VERSION=//p' scripts/setup-libtorch.sh)"
[ "$TORCH_PIN" = "$LIBTORCH_VERSION" ] ||
  fail "$REQUIREMENTS pins torch $TORCH_PIN but scripts/setup-libtorch.sh installs libtorch $LIBTORCH_VERSION: pin the same version in both"

command -v "$PYTHON" >/dev/null || fail "no $PYTHON on PATH (CPython 3.11 is needed; set PYTHON=...)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  fail "$PYTHON is Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); the pinned wheels are for CPython 3.11 (set PYTHON=...)"

# An existing .venv is kept only if it is a plain 3.11 venv whose torch (if any) is the pinned one.
if [ -e .venv ]; then
  reason=""
  if [ ! -x .venv/bin/python ] || [ ! -f .venv/pyvenv.cfg ]; then
    reason="it is not a venv"
  elif grep -Eiq '^include-system-site-packages *= *true' .venv/pyvenv.cfg; then
    reason="it sees the system site packages (the old setup, for Debian's python3-torch)"
  elif ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    reason="its Python is not 3.11"
  else
    installed="$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)"
    if [ -n "$installed" ] && [ "$installed" != "$TORCH_PIN" ]; then
      reason="it holds torch $installed, not $TORCH_PIN"
    fi
  fi
  if [ -n "$reason" ]; then
    echo "setup-python.sh: removing the old .venv: $reason"
    rm -rf .venv
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || fail "$PYTHON -m venv failed (on Debian: apt-get install python3-venv)"
fi

# --no-deps: the file pins the whole set, so pip resolves nothing; `pip check` then proves that
# the set is complete and consistent (every dependency of every package present, in range).
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
.venv/bin/python -m pip check --disable-pip-version-check >/dev/null ||
  { .venv/bin/python -m pip check --disable-pip-version-check >&2 || true
    fail "the packages pinned in $REQUIREMENTS do not satisfy each other's requirements (above)"; }

# Exactly the pinned set: nothing left over from an earlier pin (pip and the venv's own
# setuptools aside when the file does not name them).
.venv/bin/python - "$REQUIREMENTS" <<'PY' || fail "remove .venv and run tools/setup-python.sh again"
import importlib.metadata, re, sys
def key(name):
    return re.sub(r"[-_.]+", "-", name).lower()
pins = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        name, version = line.split("==")
        pins[key(name)] = version.strip()
installed = {key(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
extra = sorted(f"{n}=={v}" for n, v in installed.items() if n not in pins and n not in ("pip", "setuptools"))
wrong = sorted(f"{n}=={installed.get(n)} (pinned {v})" for n, v in pins.items() if installed.get(n) != v)
for label, items in (("not pinned in " + sys.argv[1], extra), ("not at the pinned version", wrong)):
    if items:
        print(f"setup-python.sh: .venv holds packages {label}: {', '.join(items)}", file=sys.stderr)
sys.exit(1 if extra or wrong else 0)
PY

# The torch that .venv really imports: the pinned version, from .venv (not a system or user copy).
read -r TORCH_VERSION TORCH_FILE < <(.venv/bin/python -c 'import torch; print(torch.__version__, torch.__file__)' 2>/dev/null) ||
  fail "import torch fails in .venv: run .venv/bin/python -c 'import torch' to see why"
case "$TORCH_FILE" in
  "$ROOT"/.venv/*) ;;
  *) fail "import torch in .venv gives $TORCH_FILE, not the copy inside $ROOT/.venv" ;;
esac
# The wheel calls itself 2.15.0+cu132 (its CUDA build); the local label after + is not compared.
[ "${TORCH_VERSION%%+*}" = "$TORCH_PIN" ] ||
  fail "import torch in .venv gives torch $TORCH_VERSION ($TORCH_FILE); tools/requirements.txt pins $TORCH_PIN"

.venv/bin/python - <<'PY'
import importlib.metadata as m, platform, torch
names = ["torch", "numpy", "scikit-learn", "xgboost", "transformers", "tokenizers", "safetensors",
         "sentence-transformers", "sentencepiece"]
print(f".venv ready: Python {platform.python_version()}, torch {torch.__version__} from {torch.__file__}")
print("  " + ", ".join(f"{n} {m.version(n)}" for n in names[1:]))
PY
command -v spm_train >/dev/null ||
  echo "note: tools/make_tokenizer_fixtures.py also needs Debian's spm_train (apt-get install sentencepiece)"

# --gemma2, --llama3: the transformers of tools/requirements-NAME.txt in its own folder
# .venv-NAME-overlay, found first through PYTHONPATH; every other package comes from .venv
# (--no-deps), so the overlay holds transformers alone. The import check proves that this
# transformers works with .venv's torch, tokenizers 0.19.1 and safetensors.
for overlay in ${OVERLAYS[@]+"${OVERLAYS[@]}"}; do
  requirements="tools/requirements-$overlay.txt"
  folder=".venv-$overlay-overlay"
  version="$(sed -n 's/^transformers==\([^ ]*\).*/\1/p' "$requirements")"
  [ -n "$version" ] || fail "$requirements pins no transformers version"
  rm -rf "$folder"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --target "$folder" -r "$requirements"
  PYTHONPATH="$folder" .venv/bin/python -c "import transformers; assert transformers.__version__ == '$version', transformers.__version__; import transformers.models.llama.modeling_llama" ||
    fail "the overlay $folder does not give a working transformers $version"
  echo "$folder ready: transformers $version (PYTHONPATH=$folder .venv/bin/python tools/...)"
done
