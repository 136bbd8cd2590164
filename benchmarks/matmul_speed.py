"""The Python side of benchmarks/matmul_speed.sh: the GFLOP/s of an n x n torch.matmul in PyTorch
(.venv: torch 2.15.0 from PyPI, the version arena links), as benchmarks/MatmulBench measures it
through arena's Torch module: standard normal operands from torch.Generator().manual_seed(0)
made in the dtype, each product timed on its own after the warm-up, the median.

Run: .venv/bin/python benchmarks/matmul_speed.py [--size 2048] [--dtype float32|bfloat16]
         [--threads 0] [--repeats 20] [--warmup 3] [--json]     (--threads 0: torch's default)
"""
import argparse
import json
import statistics
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--size", type=int, default=2048)
parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
parser.add_argument("--threads", type=int, default=0)
parser.add_argument("--repeats", type=int, default=20)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
if args.threads > 0:
    torch.set_num_threads(args.threads)
dtype = getattr(torch, args.dtype)
generator = torch.Generator().manual_seed(0)
a = torch.randn(args.size, args.size, generator=generator).to(dtype)
b = torch.randn(args.size, args.size, generator=generator).to(dtype)
times = []
last = torch.matmul(a, b)
for index in range(args.warmup + args.repeats):
    started = time.perf_counter()
    last = torch.matmul(a, b)
    elapsed = time.perf_counter() - started
    if index >= args.warmup:
        times.append(elapsed)
median = statistics.median(times)
gflops = 2 * args.size ** 3 / median / 1e9
if args.json:
    print(json.dumps({"side": "python", "libtorch": torch.__version__, "size": args.size, "dtype": args.dtype,
                      "threads": torch.get_num_threads(), "median_s": median, "gflops": gflops,
                      "checksum": last.float().sum().item()}))
else:
    print(f"python (torch {torch.__version__}): {args.size} x {args.size} {args.dtype}, {torch.get_num_threads()} thread(s): "
          f"median {median:.4f} s, {gflops:.0f} GFLOP/s")
