"""torch_conv_split.py in repeated windows (1 thread, thread CPU time): per window the fwd / dx / dk
medians of `runs` calls per layer; at the end per layer and direction the median over windows,
its spread and GFLOP per CPU-second. Beside dev.adjoint.bench.ConvStepWindows (same layers).

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 docs/perf/probes/wave8/torch_split_windows.py [windows [runs [layers]]]
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "bench", "peers"))
import torch  # noqa: E402
from torch_conv import LAYERS  # noqa: E402


def med(fn, runs):
    ts = []
    for _ in range(runs):
        c0 = time.thread_time()
        fn()
        ts.append((time.thread_time() - c0) * 1e3)
    return statistics.median(ts)


def main():
    windows = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    which = sys.argv[3] if len(sys.argv) > 3 else "ABCD"
    torch.set_num_threads(1)
    cases = []
    for name, n, h, cin, cout, k, s, p in LAYERS:
        if name[0] not in which:
            continue
        w = torch.randn(cout, cin, k, k).to(memory_format=torch.channels_last)
        x = torch.randn(n, cin, h, h).to(memory_format=torch.channels_last)
        with torch.no_grad():
            y0 = torch.nn.functional.conv2d(x, w, stride=s, padding=p)
        dy = torch.randn_like(y0).contiguous(memory_format=torch.channels_last)
        ho = y0.shape[2]
        flops = 2.0 * n * ho * ho * cout * cin * k * k

        def fwd(x=x, w=w, s=s, p=p):
            with torch.no_grad():
                torch.nn.functional.conv2d(x, w, stride=s, padding=p)

        def part(mask, dy=dy, x=x, w=w, s=s, p=p):
            return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)

        cases.append((name, flops, [("fwd", fwd), ("dk", part([False, True, False])), ("dx", part([True, False, False]))]))
    end = time.perf_counter() + 4
    while time.perf_counter() < end:
        for _, _, fs in cases:
            for _, f in fs:
                f()
    res = {(c[0], d): [] for c in cases for d in ("fwd", "dk", "dx")}
    for wi in range(windows):
        line = [f"window {wi} |"]
        for name, _, fs in cases:
            vals = []
            for d, f in fs:
                v = med(f, runs) * 1e3
                res[(name, d)].append(v)
                vals.append(f"{v:.0f}")
            line.append(f" {name[0]} " + "/".join(vals))
        print("".join(line), flush=True)
    for name, flops, _ in cases:
        for d in ("fwd", "dk", "dx"):
            v = res[(name, d)]
            m = statistics.median(v)
            print(f"torch {name} {d:3s} {m:9.1f} us  spread {100 * (max(v) - min(v)) / m:3.0f}%  {flops / m / 1e3:6.1f} GFLOP/cpu-s")


if __name__ == "__main__":
    main()
