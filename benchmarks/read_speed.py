"""Reading speed and peak memory: `arena eda` against pandas read_csv + json.loads, on the
same synthetic file, in the same run.

    .venv/bin/python benchmarks/read_speed.py [--rows 57477] [--repeats 3]

Needs a release build (swift build -c release) and the tools venv (tools/setup-python.sh).
Prints a Markdown table for docs/BENCHMARKS.md.
"""
import argparse
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARENA = os.path.join(ROOT, ".build", "release", "arena")


def measure(command):
    """Wall seconds and peak resident memory (MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=57477)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--file", default=os.path.join(ROOT, "work", "bench", "synthetic-57k.csv"))
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.file), exist_ok=True)
    if not os.path.exists(args.file):
        subprocess.run([ARENA, "synth", "--rows", str(args.rows), "--seed", str(args.seed), "--out", args.file], check=True)
    size_mib = os.path.getsize(args.file) / 2**20

    runs = {
        "arena eda (Swift, release)": [ARENA, "eda", args.file, "--json"],
        "pandas read_csv + json.loads": [sys.executable, os.path.join(ROOT, "benchmarks", "pandas_read.py"), args.file],
    }
    results = {name: [] for name in runs}
    # Interleave the two so that machine noise hits both alike.
    for _ in range(args.repeats):
        for name, command in runs.items():
            results[name].append(measure(command))

    print(f"file: {args.file} ({size_mib:.1f} MiB, {args.rows} rows); machine: {platform.machine()}, {os.cpu_count()} cores")
    print()
    print("| reader | wall s (best of %d) | peak RSS MiB | RSS / file size |" % args.repeats)
    print("| --- | --- | --- | --- |")
    best = {}
    for name, values in results.items():
        wall = min(v[0] for v in values)
        rss = max(v[1] for v in values)
        best[name] = wall
        print(f"| {name} | {wall:.2f} | {rss:.0f} | {rss / size_mib:.2f} |")
    names = list(runs)
    print()
    print(f"speed ratio (pandas / arena): {best[names[1]] / best[names[0]]:.2f}x")


if __name__ == "__main__":
    main()
