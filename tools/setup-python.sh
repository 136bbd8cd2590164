#!/usr/bin/env bash
# Creates .venv, the Python used only by tools/ (fixture writers) and benchmarks/ (side-by-side
# runs). Debian's python3 with --system-site-packages, so that Debian's python3-torch (the
# same libtorch 1.13 the project links) is visible inside it once installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r tools/requirements.txt
echo ".venv ready: $(.venv/bin/python --version)"
