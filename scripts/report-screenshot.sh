#!/usr/bin/env bash
# Render check for `arena report` (issue 4): builds arena, trains a quick linear run on the data,
# writes report.html, takes a headless Chromium screenshot and checks it is not blank.
# Needs Debian's `chromium` and `python3-pil` (apt-get install -y chromium python3-pil); not run
# in CI.
#
#   scripts/report-screenshot.sh [DATA.csv] [OUT_DIR]
#   scripts/report-screenshot.sh --self-test [OUT_DIR]   # the check must reject a blank page and
#                                                        # a text-only page, and pass the report
#
# Data: the first argument, else ../shared/data/arena-sample/train.csv. Outputs (report.html,
# report.png) go to OUT_DIR, default work/report-screenshot/. Build folder: $SCRATCH (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
SELF_TEST=0
if [ "${1:-}" = "--self-test" ]; then SELF_TEST=1; shift; set -- "" "${1:-}"; fi
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
RUNS=(--run "$OUT/run-linear")
# A short fine-tuning run too (its loss curves and learning-rate schedule), when the MiniLM
# weights are installed (scripts/setup-models.sh).
if [ -f .models/all-MiniLM-L6-v2/config.json ]; then
  swift build --scratch-path "$SCRATCH" --product ArenaSentencePiece
  "$ARENA" finetune --data "$DATA" --model .models/all-MiniLM-L6-v2 --max-length 64 --batch-size 8 --max-steps 12 \
    --evaluations-per-epoch 1 --out "$OUT/run-minilm" --overwrite --quiet
  RUNS+=(--run "$OUT/run-minilm")
fi
"$ARENA" report --data "$DATA" "${RUNS[@]}" --out "$OUT/report.html"

# screenshot HTML PNG: headless Chromium; no network is needed (the page fetches nothing).
screenshot() {
  rm -f "$2"
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1280,7000 --screenshot="$2" "file://$1" >/dev/null 2>&1 || true
  [ -s "$2" ] || { echo "error: chromium wrote no screenshot of $1" >&2; exit 1; }
}

# check PNG: not blank = many colours, a real share of inked pixels, and the Okabe-Ito blue and
# orange of the class-balance bars. Exit status 0 when it looks like the report.
check() {
  local python
  for python in /usr/bin/python3 python3; do
    if command -v "$python" >/dev/null && "$python" -c "import PIL" 2>/dev/null; then
      "$python" - "$1" <<'PY'
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
small = image.resize((image.width // 4, image.height // 4))
pixels = list(small.getdata())
colours = len(set(pixels))
inked = sum(1 for r, g, b in pixels if r + g + b < 600) / len(pixels)
def near(p, q): return sum(abs(a - b) for a, b in zip(p, q)) < 40
blue = any(near(p, (0x00, 0x72, 0xB2)) for p in pixels)
orange = any(near(p, (0xE6, 0x9F, 0x00)) for p in pixels)
print(f"{sys.argv[1]}: {image.width}x{image.height}, {colours} colours, {inked:.1%} inked, blue {blue}, orange {orange}")
sys.exit(0 if colours >= 50 and inked >= 0.03 and blue and orange else 1)
PY
      return $?
    fi
  done
  echo "error: no Python with PIL (Debian: apt-get install -y python3-pil)" >&2
  exit 2
}

HTML="$(cd "$OUT" && pwd)/report.html"
PNG="$OUT/report.png"
screenshot "$HTML" "$PNG"
if [ "$SELF_TEST" = 1 ]; then
  ABSOLUTE="$(cd "$OUT" && pwd)"
  printf '<!doctype html><html><body></body></html>' > "$OUT/blank.html"
  printf '<!doctype html><html><body><h1>arena report</h1><p>%s</p></body></html>' \
    "$(printf 'Some text only. %.0s' $(seq 200))" > "$OUT/text-only.html"
  for page in blank text-only; do
    screenshot "$ABSOLUTE/$page.html" "$OUT/$page.png"
    if check "$OUT/$page.png"; then echo "error: the check passed the $page page" >&2; exit 1; fi
    echo "ok: the check rejects the $page page"
  done
fi
if check "$PNG"; then echo "ok: $PNG is not blank"; exit 0; fi
echo "error: $PNG looks blank" >&2
exit 1
