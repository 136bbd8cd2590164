#!/usr/bin/env bash
# Render check for `arena report` (issue 4): builds arena, trains a quick linear run on the data,
# writes report.html, takes a headless Chromium screenshot and checks it is not blank.
# Needs Debian's `chromium` (apt-get install -y chromium); not run in CI.
#
#   scripts/report-screenshot.sh [DATA.csv] [OUT_DIR]
#
# Data: the first argument, else ../shared/data/arena-sample/train.csv. Outputs (report.html,
# report.png) go to OUT_DIR, default work/report-screenshot/. Build folder: $SCRATCH (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/arena-sample/train.csv}"
OUT="${2:-work/report-screenshot}"
SCRATCH="${SCRATCH:-.build}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "error: no chromium found (Debian: apt-get install -y chromium)" >&2
  exit 2
fi
[ -f "$DATA" ] || { echo "error: $DATA not found" >&2; exit 2; }

swift build --scratch-path "$SCRATCH" --product arena
ARENA="$SCRATCH/debug/arena"
mkdir -p "$OUT"
"$ARENA" train --data "$DATA" --model linear --folds 3 --out "$OUT/run-linear" --overwrite --quiet
"$ARENA" report --data "$DATA" --run "$OUT/run-linear" --out "$OUT/report.html"

HTML="$(cd "$OUT" && pwd)/report.html"
PNG="$OUT/report.png"
rm -f "$PNG"
# No network is needed: the page fetches nothing.
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1280,4200 --screenshot="$PNG" "file://$HTML" >/dev/null 2>&1 || true
[ -s "$PNG" ] || { echo "error: chromium wrote no screenshot" >&2; exit 1; }

# Not blank: many colours and a real share of non-white pixels (PIL when available), else size.
check_with_pil() {
  "$1" - "$PNG" <<'PY'
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
small = image.resize((image.width // 4, image.height // 4))
pixels = list(small.getdata())
colours = len(set(pixels))
inked = sum(1 for r, g, b in pixels if r + g + b < 600) / len(pixels)
# The Okabe-Ito blue and orange of the class-balance bars must be on the page.
def near(p, q): return sum(abs(a - b) for a, b in zip(p, q)) < 40
blue = any(near(p, (0x00, 0x72, 0xB2)) for p in pixels)
orange = any(near(p, (0xE6, 0x9F, 0x00)) for p in pixels)
print(f"{sys.argv[1]}: {image.width}x{image.height}, {colours} colours, {inked:.1%} inked, blue {blue}, orange {orange}")
sys.exit(0 if colours >= 50 and inked >= 0.03 and blue and orange else 1)
PY
}
for python in python3 /usr/bin/python3; do
  if command -v "$python" >/dev/null && "$python" -c "import PIL" 2>/dev/null; then
    if check_with_pil "$python"; then echo "ok: $PNG is not blank"; exit 0; fi
    echo "error: $PNG looks blank" >&2
    exit 1
  fi
done
SIZE=$(stat -c %s "$PNG" 2>/dev/null || stat -f %z "$PNG")
echo "$PNG: $SIZE bytes (no PIL: size check only)"
if [ "$SIZE" -lt 50000 ]; then echo "error: $PNG looks blank ($SIZE bytes)" >&2; exit 1; fi
echo "ok: $PNG is not blank"
