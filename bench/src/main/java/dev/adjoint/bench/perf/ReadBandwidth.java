package dev.adjoint.bench.perf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The read yardstick for reductions (issue 13: "reductions at least 90% of read bandwidth"):
 * {@code Arrays.mismatch} of two equal 64 MB float arrays, an intrinsic that streams both arrays
 * through vector compares and writes nothing, so it reads at the hardware's limit. The copy
 * yardstick ({@link Limits#bandwidthGBs}) is the wrong one for a reduction, which writes nothing
 * and so cannot be compared with read-plus-write traffic. Every thread compares its part.
 */
public final class ReadBandwidth {
    private ReadBandwidth() {}

    /** Floats per array: 64 MB, far beyond any last-level cache. */
    private static final int N = 16 << 20;

    /**
     * Read bandwidth, GB/s (bytes read per second of wall time), on {@code threads} threads for {@code millis}.
     *
     * @param threads threads reading at once, each its own part of both arrays
     * @param millis how long to read
     * @return GB/s read
     * @throws Exception if a reading thread fails
     */
    public static double measure(int threads, long millis) throws Exception {
        float[] a = new float[N], b = new float[N];
        Arrays.fill(a, 1f);
        Arrays.fill(b, 1f);
        int[] sink = new int[threads];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            int chunk = N / threads;
            // Warm-up: the intrinsic is compiled before the timed window.
            for (int i = 0; i < 20; i++) sink[0] |= Arrays.mismatch(a, 0, 4096, b, 0, 4096);
            long deadline = System.nanoTime() + millis * 1_000_000L;
            List<Callable<Long>> reads = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int from = t * chunk, to = t == threads - 1 ? N : from + chunk, slot = t;
                reads.add(() -> {
                    long bytes = 0;
                    do {
                        sink[slot] |= Arrays.mismatch(a, from, to, b, from, to);
                        bytes += 8L * (to - from);
                    } while (System.nanoTime() < deadline);
                    return bytes;
                });
            }
            long start = System.nanoTime(), bytes = 0;
            for (Future<Long> f : pool.invokeAll(reads)) bytes += f.get();
            double gbs = bytes / (double) (System.nanoTime() - start);
            for (int s : sink) if (s != -1) throw new IllegalStateException("read yardstick: equal arrays compared unequal at " + s);
            return gbs;
        } finally {
            pool.shutdownNow();
        }
    }
}
