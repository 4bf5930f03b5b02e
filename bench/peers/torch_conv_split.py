"""PyTorch (oneDNN) peer, backward split: forward, input gradient alone and weight gradient alone
per ConvBench layer, channels_last, through aten::convolution_backward with one output of its mask
set at a time (the two halves of torch.autograd's conv backward). Thread CPU time medians
(time.thread_time: oneDNN runs on the calling thread at 1 thread), wall medians beside.

Run: /usr/bin/python3 bench/peers/torch_conv_split.py [reps [threads,...]]
"""
import statistics
import sys
import time

import torch

from torch_conv import LAYERS  # noqa: E402  (the same four layers as ConvBench, defined once)


def bench(fn, reps):
    for _ in range(max(3, reps // 5)):
        fn()
    ts, cs = [], []
    for _ in range(reps):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
        cs.append((time.thread_time() - c0) * 1e3)
    return statistics.median(ts), statistics.median(cs)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    threads_list = [int(t) for t in (sys.argv[2] if len(sys.argv) > 2 else "1").split(",")]
    for threads in threads_list:
        torch.set_num_threads(threads)
        for name, n, h, cin, cout, k, s, p in LAYERS:
            w = torch.randn(cout, cin, k, k).to(memory_format=torch.channels_last)
            x = torch.randn(n, cin, h, h).to(memory_format=torch.channels_last)
            with torch.no_grad():
                y0 = torch.nn.functional.conv2d(x, w, stride=s, padding=p)
            dy = torch.randn_like(y0).contiguous(memory_format=torch.channels_last)

            def fwd():
                with torch.no_grad():
                    torch.nn.functional.conv2d(x, w, stride=s, padding=p)

            def part(mask):
                def f():
                    torch.ops.aten.convolution_backward(dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)
                return f

            f = bench(fwd, reps)
            dx = bench(part([True, False, False]), reps)
            dk = bench(part([False, True, False]), reps)
            both = bench(part([True, True, False]), reps)
            print(f"torch threads={threads} {name:22s} fwd {f[1]:8.3f} dx {dx[1]:8.3f} dk {dk[1]:8.3f} dx+dk {both[1]:8.3f} ms thread-cpu"
                  f"  (wall fwd {f[0]:.3f} dx {dx[0]:.3f} dk {dk[0]:.3f} dx+dk {both[0]:.3f})", flush=True)


if __name__ == "__main__":
    main()
