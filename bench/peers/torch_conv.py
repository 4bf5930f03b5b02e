"""PyTorch (oneDNN) peer for ConvBench: forward and forward+backward (dx and dk) medians, channels_last.

Run: /usr/bin/python3 bench/peers/torch_conv.py [reps] [--fwd] [--threads T] [--layers ABCDL]
(--fwd: forward only, in the format of dev.adjoint.bench.ConvForwardTiming, layers interleaved round
by round; 1 thread reports thread CPU time, 2 threads wall time; L is LeNet's conv2 N64 14x14 6->16 k5.)
Same layers as dev.adjoint.bench.ConvBench; x.requires_grad (except for the first layer D) so that
backward computes dx and dk, as Adjoint's fwd+bwd does. Prints wall-clock medians and p10/p90 and,
because the machine is shared, the process CPU time median per call too.
"""
import statistics
import sys
import time

import torch

LAYERS = [  # name, N, H, Cin, Cout, k, stride, pad
    ("A_n32_14_32_64_k3", 32, 14, 32, 64, 3, 1, 1),
    ("B_n8_56_64_64_k3", 8, 56, 64, 64, 3, 1, 1),
    ("C_n8_56_64_64_k3s2", 8, 56, 64, 64, 3, 2, 1),
    ("D_n32_28_1_32_k5", 32, 28, 1, 32, 5, 1, 2),
]


def bench(fn, reps):
    for _ in range(max(3, reps // 5)):
        fn()
    ts, cs = [], []
    for _ in range(reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
        cs.append((time.process_time() - c0) * 1e3)
    ts.sort()
    return statistics.median(ts), ts[len(ts) // 10], ts[(len(ts) * 9) // 10], statistics.median(cs)


def forward_only(reps, threads, which):
    """Forward medians per layer, interleaved like ConvForwardTiming: CPU time of this thread at 1 thread, wall at 2."""
    torch.set_num_threads(threads)
    table = {name[0]: (name, n, h, cin, cout, k, s, p) for name, n, h, cin, cout, k, s, p in LAYERS}
    table["L"] = ("L_n64_14_6_16_k5", 64, 14, 6, 16, 5, 1, 0)
    runs = []
    for c in which:
        name, n, h, cin, cout, k, s, p = table[c]
        conv = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=False).to(memory_format=torch.channels_last)
        x = torch.randn(n, cin, h, h).to(memory_format=torch.channels_last)
        with torch.no_grad():
            ho = conv(x).shape[2]
        runs.append((c, conv, x, 2.0 * n * ho * ho * cout * cin * k * k))
    clock = time.thread_time if threads == 1 else time.perf_counter
    end = time.perf_counter() + 6
    with torch.no_grad():
        while time.perf_counter() < end:
            for _, conv, x, _ in runs:
                conv(x)
        ts = [[] for _ in runs]
        for _ in range(reps):
            for i, (_, conv, x, _) in enumerate(runs):
                t0 = clock()
                conv(x)
                ts[i].append((clock() - t0) * 1e3)
    for (c, _, _, flops), t in zip(runs, ts):
        t.sort()
        med = statistics.median(t)
        print(f"threads={threads} {c} fwd {'cpu' if threads == 1 else 'wall'} {med:8.3f} ms (p10 {t[len(t) // 10]:.3f} "
              f"p90 {t[(len(t) * 9) // 10]:.3f}) {flops / med / 1e6:6.1f} GFLOP/s  torch", flush=True)


def main():
    args = sys.argv[1:]
    if "--fwd" in args:
        threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 1
        which = args[args.index("--layers") + 1] if "--layers" in args else "ABCD"
        reps = int(args[0]) if args and args[0].isdigit() else 40
        forward_only(reps, threads, which)
        return
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    print(f"torch {torch.__version__}, mkldnn {torch.backends.mkldnn.is_available()}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for name, n, h, cin, cout, k, s, p in LAYERS:
            conv = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=False).to(memory_format=torch.channels_last)
            # The first layer (D) needs no input gradient, as in training; Adjoint skips dx there too.
            x = torch.randn(n, cin, h, h).to(memory_format=torch.channels_last).requires_grad_(not name.startswith("D"))
            with torch.no_grad():
                y0 = conv(x)
            dy = torch.randn_like(y0).contiguous(memory_format=torch.channels_last)

            def fwd():
                with torch.no_grad():
                    conv(x)

            def fwdbwd():
                conv.weight.grad = None
                x.grad = None
                y = conv(x)
                y.backward(dy)

            f = bench(fwd, reps)
            fb = bench(fwdbwd, reps)
            flops = 2.0 * n * y0.shape[2] * y0.shape[3] * cout * cin * k * k
            print(f"threads={threads} {name:22s} fwd {f[0]:8.3f} ms (p10 {f[1]:.3f} p90 {f[2]:.3f} cpu {f[3]:.3f})"
                  f"  fwd+bwd {fb[0]:8.3f} ms (p10 {fb[1]:.3f} p90 {fb[2]:.3f} cpu {fb[3]:.3f})  fwd GFLOP/s {flops / f[0] / 1e6:.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
