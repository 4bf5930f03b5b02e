#!/usr/bin/python3
"""Peers of `adjoint bench headline`: the workloads of bench/.../perf/Headline.java under the same ids.

Usage: headline.py --serve [--threads T]. Reads one request a line on standard input,
"window ID SECONDS", and answers each with one line: "window ID SECONDS_PER_RUN LIBRARY" (the mean
time per run over a window of about that length; an id's first request first builds the workload and
warms it up for max(0.3 s, twice the window)), "unknown ID", or "error ...". `adjoint bench headline`
keeps one such process per thread count and alternates its windows with Adjoint's, so that a change
in the machine's state (the host moving the vCPUs) reaches both sides of a pair alike.
gemm and the memory-bound ids use numpy (OpenBLAS for gemm); conv and training use PyTorch
(oneDNN for conv, channels last as Adjoint's convs are).
"""
import argparse, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_timing import window  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=os.cpu_count())
p.add_argument("--serve", action="store_true", required=True)
a = p.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
os.environ["OMP_NUM_THREADS"] = str(a.threads)
import numpy as np
import torch
torch.set_num_threads(a.threads)

LAYERS = {"A": (32, 14, 32, 64, 3, 1, 1), "B": (8, 56, 64, 64, 3, 1, 1), "C": (8, 56, 64, 64, 3, 2, 1), "D": (32, 28, 1, 32, 5, 1, 2)}


rng = np.random.default_rng(7)


def f32(*shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def workload(i):
    if i.startswith("gemm-"):
        size = i[5:]
        t = size.endswith("t")
        dims = [int(v) for v in size.rstrip("t").split("x")]
        m, k, n = (dims[0],) * 3 if len(dims) == 1 else dims
        if t:
            x, y = f32(k, m), f32(k, n)
            out = np.empty((m, n), np.float32)
            return (lambda: np.matmul(x.T, y, out=out)), "numpy"
        x, y = f32(m, k), f32(k, n)
        out = np.empty((m, n), np.float32)
        return (lambda: np.matmul(x, y, out=out)), "numpy"
    if i.startswith("conv-"):
        _, layer, mode = i.split("-")
        n, h, cin, cout, k, s, pad = LAYERS[layer]
        conv = torch.nn.Conv2d(cin, cout, k, stride=s, padding=pad, bias=False).to(memory_format=torch.channels_last)
        x = torch.randn(n, cin, h, h).to(memory_format=torch.channels_last)
        if mode == "fwd":
            def fwd():
                with torch.no_grad():
                    conv(x)
            return fwd, "torch"
        x.requires_grad_(cin != 1)  # layer D is a first layer: no input gradient, as in Headline.java
        with torch.no_grad():
            dy = torch.randn_like(conv(x)).contiguous(memory_format=torch.channels_last)

        def fwdbwd():
            conv.weight.grad = None
            x.grad = None
            conv(x).backward(dy)
        return fwdbwd, "torch"
    if i in ("neg", "exp", "chain4", "sum"):
        x, y = f32(1 << 24), f32(1 << 24)
        out = np.empty(1 << 24, np.float32)
        if i == "neg":
            return (lambda: np.negative(x, out=out)), "numpy"
        if i == "exp":
            return (lambda: np.exp(x, out=out)), "numpy"
        if i == "sum":
            return (lambda: x.sum()), "numpy"

        def chain():
            np.multiply(x, y, out=out); np.add(out, x, out=out); np.multiply(out, y, out=out); np.subtract(out, x, out=out)
        return chain, "numpy"
    if i in ("transpose", "rowsum"):
        m = f32(4096, 4096)
        out = np.empty((4096, 4096), np.float32)
        if i == "transpose":
            return (lambda: np.copyto(out, m.T)), "numpy"
        return (lambda: m.sum(axis=1)), "numpy"
    if i in ("train-mlp", "train-lenet"):
        torch.manual_seed(1)
        nn = torch.nn
        if i == "train-mlp":
            model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
            xb = torch.rand(128, 784); yb = torch.arange(128) % 10
        else:
            model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
            xb = torch.rand(64, 1, 28, 28); yb = torch.arange(64) % 10
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad(); nn.functional.cross_entropy(model(xb), yb).backward(); opt.step()
        return step, "torch"
    return None, None


def serve():
    built = {}
    for line in sys.stdin:
        f = line.split()
        if len(f) != 3 or f[0] != "window":
            print("error bad request:", line.strip(), flush=True)
            continue
        i, sec = f[1], float(f[2])
        if i not in built:
            fn, lib = workload(i)
            if fn is not None:
                window(fn, max(0.3, 2 * sec))
            built[i] = (fn, lib)
        fn, lib = built[i]
        if fn is None:
            print("unknown", i, flush=True)
        else:
            print("window", i, window(fn, sec), lib, flush=True)


serve()
