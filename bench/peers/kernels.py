#!/usr/bin/python3
"""Peer timings for `adjoint bench`: the same problems as bench/.../perf/Kernels.java, timed the same way
(a warm-up, then repetitions of fixed-duration windows; the median of the per-window mean time per run).

Usage: kernels.py [--threads T] [--quick] KERNEL...   (gemm conv elementwise reduce train)
Prints one line per kernel: "peer KERNEL SECONDS_PER_RUN LIBRARY". gemm, elementwise and reduce use
numpy (OpenBLAS for gemm); conv and train use PyTorch (oneDNN for conv).
"""
import argparse, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_timing import windows  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--quick", action="store_true")
p.add_argument("kernels", nargs="*", default=["gemm", "conv", "elementwise", "reduce", "train"])
a = p.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(a.threads))
import numpy as np
import torch
torch.set_num_threads(a.threads)

reps, warm, window = (5, 0.1, 0.06) if a.quick else (7, 0.2, 0.15)

def timed(fn):
    return windows(fn, reps, warm, window)[0]


rng = np.random.default_rng(7)
for k in a.kernels:
    if k == "gemm":
        n = 256 if a.quick else 512
        x = rng.standard_normal((n, n), dtype=np.float32); y = rng.standard_normal((n, n), dtype=np.float32)
        out = np.empty((n, n), dtype=np.float32)
        print("peer gemm", timed(lambda: np.matmul(x, y, out=out)), "numpy", flush=True)
    elif k == "conv":
        b, c = (4, 32) if a.quick else (8, 64)
        x = torch.randn(b, c, 32, 32); w = torch.randn(c, c, 3, 3)
        with torch.no_grad():
            print("peer conv", timed(lambda: torch.nn.functional.conv2d(x, w, padding=1)), "torch", flush=True)
    elif k == "elementwise":
        n = (1 << 21) if a.quick else (1 << 22)
        x = rng.standard_normal(n, dtype=np.float32); y = rng.standard_normal(n, dtype=np.float32)
        out = np.empty(n, dtype=np.float32)
        def ew():
            np.multiply(x, y, out=out); np.add(out, x, out=out)
        print("peer elementwise", timed(ew), "numpy", flush=True)
    elif k == "reduce":
        n = (1 << 22) if a.quick else (1 << 24)
        x = rng.standard_normal(n, dtype=np.float32)
        print("peer reduce", timed(lambda: x.sum()), "numpy", flush=True)
    elif k == "train":
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xb = torch.rand(128, 784); yb = torch.randint(0, 10, (128,))
        def step():
            opt.zero_grad(); torch.nn.functional.cross_entropy(model(xb), yb).backward(); opt.step()
        print("peer train", timed(step), "torch", flush=True)
    else:
        print("unknown kernel", k, file=sys.stderr)
