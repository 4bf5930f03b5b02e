#!/usr/bin/python3
"""GemmBench log -> GFLOP/s. JMH's score is a mean, which one descheduled iteration on this shared
machine drags far down, so this reads the per-iteration times from the human-readable log
(`exec:exec ... > log`) and prints the median and the min..max over measurement iterations.

Usage: jmh_gflops.py GEMMBENCH.log
"""
import re, statistics, sys

params = None
for line in open(sys.argv[1]):
    m = re.match(r"# Parameters: \((.*)\)", line)
    if m:
        params = dict(kv.split(" = ") for kv in m.group(1).split(", "))
        iters = []
        continue
    m = re.match(r"Iteration\s+\d+: ([\d.]+) us/op", line)
    if m and params is not None:
        iters.append(float(m.group(1)))
        continue
    if line.startswith("Result ") and params is not None and iters:
        n = int(params["n"]); f = 2.0 * n ** 3 / 1e3  # flop per us -> GFLOP/s
        g = sorted(f / t for t in iters)
        print(f"adjoint N={n:5d} threads={params['threads']} transB={params.get('transB', '')} "
              f"GFLOP/s median {statistics.median(g):6.1f}  (min {g[0]:6.1f} max {g[-1]:6.1f})  iterations={len(g)}")
        params = None
