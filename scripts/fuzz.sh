#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (a separate package: the root package's build and CI
# never build them) and runs each for a given time.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]
#
# TARGET: csv, turns, jsonl, submission, request, or all (the default), one after another;
# SECONDS per target (default 600). Memory is bounded (-rss_limit_mb / -malloc_limit_mb,
# FUZZ_RSS_MB, default 2048) and so is each input's time (-timeout, FUZZ_TIMEOUT, default 10 s).
# Each run reads the committed seeds fuzz/corpus/TARGET (never written) and grows its own
# corpus in fuzz/work/TARGET/corpus; logs go to fuzz/work/logs/, crashing inputs to
# fuzz/work/TARGET/artifacts/ (fuzz/work/ is ignored by git). The exit status is non-zero when
# a target found a crash, a hang or a memory blow-up.
#
# Building needs the Swift toolchain's libFuzzer and AddressSanitizer (-sanitize=fuzzer,address),
# which the Linux toolchains ship. FUZZ_SANITIZE=fuzzer builds without AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-all}
seconds=${2:-600}
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
sanitize=${FUZZ_SANITIZE:-fuzzer,address}
all=(csv turns jsonl submission request)

case "$target" in
    all) targets=("${all[@]}") ;;
    csv | turns | jsonl | submission | request) targets=("$target") ;;
    *) echo "usage: scripts/fuzz.sh [csv|turns|jsonl|submission|request|all] [seconds]" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "seconds must be a whole number, got '$seconds'" >&2; exit 2; }

build=(swift build -c release --package-path fuzz --scratch-path fuzz/.build
    -Xswiftc "-sanitize=$sanitize")
echo "+ ${build[*]}" >&2
for name in "${targets[@]}"; do "${build[@]}" --product "fuzz-$name" >&2; done
bin=$("${build[@]}" --show-bin-path)

dictionary() {
    case "$1" in
        csv) echo fuzz/dict/csv.dict ;;
        submission) echo fuzz/dict/submission.dict ;;
        *) echo fuzz/dict/json.dict ;;
    esac
}

mkdir -p fuzz/work/logs
# libFuzzer and AddressSanitizer report crashes; the Swift runtime's backtracer, reading the
# crashed process's memory from a thread of its own, only trips AddressSanitizer.
export SWIFT_BACKTRACE=enable=no
status=0
for name in "${targets[@]}"; do
    work=fuzz/work/$name
    mkdir -p "$work/corpus" "$work/artifacts"
    log=fuzz/work/logs/$name-$(date -u +%Y%m%dT%H%M%SZ).log
    command=("$bin/fuzz-$name" "$work/corpus" "fuzz/corpus/$name"
        "-dict=$(dictionary "$name")" "-max_total_time=$seconds" "-rss_limit_mb=$rss_mb"
        "-malloc_limit_mb=$rss_mb" "-timeout=$timeout" -max_len=16384 -print_final_stats=1
        "-artifact_prefix=$work/artifacts/")
    echo "+ ${command[*]}" | tee "$log" >&2
    if "${command[@]}" >>"$log" 2>&1; then
        result=ok
    else
        result="FAILED (exit $?): see $log and $work/artifacts/"
        status=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units:[[:space:]]*[0-9]*' "$log" | tail -1 | awk '{print $2}')
    peak=$(grep -o 'stat::peak_rss_mb:[[:space:]]*[0-9]*' "$log" | tail -1 | awk '{print $2}')
    corpus=$(find "$work/corpus" -type f | wc -l)
    echo "$name: $result; ${runs:-?} executions in ${seconds} s, peak RSS ${peak:-?} MB, corpus $corpus files; log $log" >&2
done
exit $status
