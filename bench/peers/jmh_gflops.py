#!/usr/bin/python3
"""Turns a JMH CSV (-rf csv) of GemmBench (AverageTime, us/op) into GFLOP/s: median = 2n^3/score,
spread from the 99.9% error interval (score +- error)."""
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    n = int(row["Param: n"]); t = float(row["Score"]); err = float(row["Score Error (99.9%)"] or 0)
    f = 2.0 * n ** 3 / 1e3
    lo, hi = f / (t + err), f / max(t - err, 1e-9)
    print(f"adjoint N={n:5d} threads={row['Param: threads']} transB={row.get('Param: transB','')} "
          f"GFLOP/s {f / t:7.1f}  ({lo:6.1f} .. {hi:6.1f})  {t:10.1f} us/op")
