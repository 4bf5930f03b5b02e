"""PyTorch (oneDNN) peer for ConvBench: forward and forward+backward (dx and dk) medians, channels_last.

Run: /usr/bin/python3 bench/peers/torch_conv.py [reps]
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


def main():
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
