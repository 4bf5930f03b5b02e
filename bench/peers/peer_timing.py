"""The timing rule every peer script shares with bench/.../perf/Kernels.time: a warm-up window, then
`reps` windows of `window` seconds, each giving the mean time per run; the median over windows,
with the fastest and slowest."""
import time


def window(fn, sec):
    """Mean seconds per run of fn() over a window of about sec seconds (at least one run)."""
    start = time.perf_counter(); runs = 0
    while True:
        fn(); runs += 1
        now = time.perf_counter()
        if now - start >= sec:
            return (now - start) / runs


def windows(fn, reps, warm, length):
    """(median, fastest, slowest) seconds per run of fn()."""
    window(fn, warm)
    t = sorted(window(fn, length) for _ in range(reps))
    return t[len(t) // 2], t[0], t[-1]
