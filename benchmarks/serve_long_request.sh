#!/usr/bin/env bash
# A long response through `arena serve` (issue 11): the latency of one POST /predict holding one
# battle whose response_a is 500 KB, against the same server's latency for a short battle (the
# anchor: the ratio long / short), on a fine-tuned all-MiniLM-L6-v2 run (release build). Also
# the latency of a short request sent while a long one is in flight (requests are scored one at
# a time, so a slow long request holds the short ones behind it).
#
# The run is made here, small and fast, since only the tokenising path matters: `arena synth
# --rows 40`, then `arena finetune --max-length 128 --batch-size 4 --max-steps 2 --threads 1`.
# The long text is the sample train.csv's bytes repeated to LONG_BYTES and cut back to a UTF-8
# scalar boundary (as in benchmarks/tokenize_speed.py), sent as a JSON string.
#
#   benchmarks/serve_long_request.sh
#
# Environment: REPEATS (timed requests of each kind, default 5; medians printed); LONG_BYTES
# (default 500000); PORT (default 18089); SWIFT_SCRATCH (default .build-bench); MODEL (default
# .models/all-MiniLM-L6-v2); DATA (default ../shared/data/arena-sample/train.csv); SERVE_THREADS
# (libtorch threads of the server, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS="${REPEATS:-5}"
LONG_BYTES="${LONG_BYTES:-500000}"
PORT="${PORT:-18089}"
SCRATCH="${SWIFT_SCRATCH:-.build-bench}"
MODEL="${MODEL:-.models/all-MiniLM-L6-v2}"
DATA="${DATA:-../shared/data/arena-sample/train.csv}"
SERVE_THREADS="${SERVE_THREADS:-1}"

swift build -c release --product arena --scratch-path "$SCRATCH" >&2
ARENA="$SCRATCH/release/arena"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "making the run in $WORK" >&2
"$ARENA" synth --rows 40 --seed 0 --out "$WORK/synth.csv" >&2
start=$(date +%s.%N)
"$ARENA" finetune --data "$WORK/synth.csv" --model "$MODEL" --out "$WORK/run" --max-length 128 --batch-size 4 \
  --max-steps 2 --threads 1 > "$WORK/finetune.log" 2>&1 || { cat "$WORK/finetune.log" >&2; exit 1; }
echo "finetune: $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2

/usr/bin/python3 - "$DATA" "$LONG_BYTES" "$WORK" <<'PY'
import json, sys
data, size, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
source = open(data, "rb").read()
blob = source * (size // len(source) + 1)
cut = size
while 0 < cut < len(blob) and blob[cut] & 0xC0 == 0x80:
    cut -= 1
long_text = blob[:cut].decode("utf-8")
short = {"id": "short", "prompt": "Which is the capital of Australia?",
         "response_a": "Canberra is the capital of Australia. Many people guess Sydney, the largest city, but "
                       "Canberra was chosen as a compromise between Sydney and Melbourne and became the seat "
                       "of government in 1927.",
         "response_b": "The capital is Sydney."}
long = dict(short, id="long", response_a=long_text)
json.dump({"battles": [short]}, open(f"{work}/short.json", "w"))
json.dump({"battles": [long]}, open(f"{work}/long.json", "w"))
print(f"long battle: response_a {len(long_text.encode('utf-8')):,} bytes of text, request body "
      f"{len(json.dumps({'battles': [long]}).encode('utf-8')):,} bytes", file=sys.stderr)
PY

"$ARENA" serve --run "$WORK/run" --port "$PORT" --threads "$SERVE_THREADS" > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 240); do
  curl -sf "http://127.0.0.1:$PORT/health" > /dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/health" > /dev/null || { echo "the server did not answer /health" >&2; cat "$WORK/serve.log" >&2; exit 1; }

# One POST; prints its seconds (curl's time_total), fails unless it answered 200 with a prediction.
post() {
  local body="$1" out="$WORK/out.$RANDOM" result
  result="$(curl -s -o "$out" -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
    --data-binary "@$WORK/$body.json" "http://127.0.0.1:$PORT/predict")"
  if [ "${result%% *}" != 200 ] || ! grep -q winner_tie "$out"; then
    echo "POST $body answered ${result%% *}: $(head -c 300 "$out")" >&2; return 1
  fi
  rm -f "$out"
  echo "${result#* }"
}

post short > /dev/null   # untimed warm-up
post long > /dev/null
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$WORK/times"
for _ in $(seq "$REPEATS"); do
  echo "short $(post short)" >> "$WORK/times"
  echo "long $(post long)" >> "$WORK/times"
  # A short request sent right after a long one, both in flight.
  post long > "$WORK/behind.long" &
  behind_pid=$!
  sleep 0.01
  echo "short_behind_long $(post short)" >> "$WORK/times"
  wait "$behind_pid"
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$WORK/times" "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$LOAD_START" "$LOAD_END" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    kind, seconds = line.split()
    times.setdefault(kind, []).append(float(seconds))
print(f"CPU {sys.argv[2]}; load average {sys.argv[3]} at start, {sys.argv[4]} at end")
short = statistics.median(times["short"])
for kind, label in (("short", "1 short battle"), ("long", "1 battle, 500 KB response_a"),
                    ("short_behind_long", "1 short battle sent 10 ms after a long one")):
    values = times[kind]
    med = statistics.median(values)
    print(f"{label:45} median {med:8.4f} s  ({', '.join(f'{v:.4f}' for v in values)})  / short {med / short:6.1f}")
PY
