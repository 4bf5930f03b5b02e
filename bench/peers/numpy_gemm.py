#!/usr/bin/python3
"""OpenBLAS (through numpy) SGEMM yardstick for GemmBench: square float32 np.matmul, GFLOP/s.

Usage: numpy_gemm.py [threads ...]   (default 1 2). Each thread count runs in a fresh child process,
because OPENBLAS_NUM_THREADS is only read when OpenBLAS loads. Prints median and min..max of the
per-repeat GFLOP/s so the spread can be compared with JMH's.
"""
import os, subprocess, sys, time

SIZES = [int(x) for x in os.environ.get("GEMM_SIZES", "128,256,512,1024,2048").split(",")]

def child():
    import numpy as np
    rng = np.random.default_rng(0)
    for n in SIZES:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), dtype=np.float32)
        flop = 2.0 * n * n * n
        inner = max(1, int(2e8 / flop))          # ~0.1 s of work per sample at 2 GFLOP/s... scaled
        for _ in range(inner * 3):               # warm-up
            np.matmul(a, b, out=c)
        rates, cpu = [], []
        for _ in range(11):
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
        print(f"numpy  N={n:5d} threads={os.environ.get('OPENBLAS_NUM_THREADS')} "
              f"GFLOP/s median {rates[len(rates)//2]:7.1f}  (min {rates[0]:6.1f} max {rates[-1]:6.1f})"
              f"  per-CPU-second median {cpu[len(cpu)//2]:6.1f}", flush=True)

if __name__ == "__main__":
    if os.environ.get("NUMPY_GEMM_CHILD"):
        child()
    else:
        for t in (sys.argv[1:] or ["1", "2"]):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=t, NUMPY_GEMM_CHILD="1")
            subprocess.run([sys.executable, __file__], env=env, check=True)
