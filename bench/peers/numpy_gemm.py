#!/usr/bin/python3
"""OpenBLAS (through numpy) SGEMM yardstick for GemmBench: square float32 np.matmul, GFLOP/s.

Usage: numpy_gemm.py [threads ...]   (default 1 2). Each thread count runs in a fresh child process,
because OPENBLAS_NUM_THREADS is only read when OpenBLAS loads. Prints median and min..max of the
per-repeat GFLOP/s so the spread can be compared with JMH's.
"""
import os, subprocess, sys, time

# A shape is n (square) or MxKxN, optionally followed by a (A stored transposed, K x M) and/or
# b (B stored transposed, N x K): the layouts the MLP's backward GEMMs read (dW = X^T dY, dX = dY W^T).
SIZES = os.environ.get("GEMM_SIZES", "128,256,512,1024,2048").split(",")

def dims(shape):
    d = [int(x) for x in shape.replace("a", "").replace("b", "").split("x")]
    return (d[0], d[0], d[0]) if len(d) == 1 else tuple(d)

def child():
    import numpy as np
    rng = np.random.default_rng(0)
    for shape in SIZES:
        m, k, n = dims(shape)
        # Transposed operands are views, so numpy hands OpenBLAS a transpose flag, not a copy.
        a = rng.standard_normal((k, m), dtype=np.float32).T if "a" in shape else rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((n, k), dtype=np.float32).T if "b" in shape else rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        flop = 2.0 * m * n * k
        inner = max(1, int(1.6e10 / flop))        # ~0.2 s per sample at 80 GFLOP/s: process CPU time advances in coarse ticks
        for _ in range(inner * 3):               # warm-up
            np.matmul(a, b, out=c)
        rates, cpu = [], []
        for _ in range(7):
            t, tc = time.perf_counter(), time.process_time()
            for _ in range(inner):
                np.matmul(a, b, out=c)
            dt = (time.perf_counter() - t) / inner
            dc = (time.process_time() - tc) / inner
            rates.append(flop / dt / 1e9)
            cpu.append(flop / dc / 1e9 if dc > 0 else float("nan"))
        rates.sort(); cpu.sort()
        # The process-CPU-time rate is per CPU-second of all threads (so per core): it discounts time
        # lost to other processes on this shared machine, and for 2 threads should stay near the 1-thread value.
        print(f"numpy  N={shape:>5s} threads={os.environ.get('OPENBLAS_NUM_THREADS')} "
              f"GFLOP/s median {rates[len(rates)//2]:7.1f}  (min {rates[0]:6.1f} max {rates[-1]:6.1f})"
              f"  per-CPU-second median {cpu[len(cpu)//2]:6.1f}", flush=True)

if __name__ == "__main__":
    if os.environ.get("NUMPY_GEMM_CHILD"):
        child()
    else:
        for t in (sys.argv[1:] or ["1", "2"]):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=t, NUMPY_GEMM_CHILD="1")
            subprocess.run([sys.executable, __file__], env=env, check=True)
