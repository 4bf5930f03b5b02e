package dev.adjoint.bench.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * This machine's limits, measured in Java at start: the floating-point peak (a register-only FMA
 * loop on every thread at once, per second of each thread's CPU time; {@link PeakFlops} says why
 * it has 12 chains and no clock read inside the loop) and the memory bandwidth (every thread copying its part of an
 * array far larger than the caches, the faster of arraycopy and a vector loop; read plus write bytes: {@link CopyBandwidth}).
 *
 * @param threads threads used
 * @param lanes floats per preferred vector
 * @param peakGflops all threads' FMA throughput, GFLOP/s (float32) per second of each thread's CPU time, summed
 * @param bandwidthGBs copy bandwidth, GB/s (bytes read plus bytes written)
 */
public record Limits(int threads, int lanes, double peakGflops, double bandwidthGBs) {

    /** One thread's FMA-loop FLOPs per nanosecond of its CPU time, until {@code deadline} (System.nanoTime). */
    private static double cpuRate(long deadline, float[] sink) {
        long c0 = CPU.getCurrentThreadCpuTime();
        long flops = PeakFlops.run(deadline, sink);
        return flops / (double) Math.max(1, CPU.getCurrentThreadCpuTime() - c0);
    }

    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Measures for {@code millis} each (the peak, then the bandwidth). */
    public static Limits measure(int threads, long millis) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            float[] sink = new float[threads];
            List<Callable<Double>> fma = new ArrayList<>();
            // Warm-up: many short calls, so that the loop is compiled (with the vector intrinsics) as a whole method.
            // Until C2 has compiled it the loop runs boxed, a thousand times slower. Many one-block calls
            // get it compiled as a whole method; then 20 ms calls until two in a row agree (at most 5 s).
            for (int i = 0; i < 20_000; i++) PeakFlops.block(1, sink);
            double previous = 0;
            for (long giveUp = System.nanoTime() + 5_000_000_000L; System.nanoTime() < giveUp; ) {
                double rate = cpuRate(System.nanoTime() + 20_000_000L, sink);
                if (rate > 1 && Math.abs(rate - previous) < 0.1 * rate) break;
                previous = rate;
            }
            long deadline = System.nanoTime() + millis * 1_000_000L;
            for (int t = 0; t < threads; t++) {
                float[] s = new float[1];
                fma.add(() -> cpuRate(deadline, s));
            }
            // Each thread's FLOPs per second of its own CPU time, summed: the hardware's limit even
            // when other processes take turns on the cores (wall time would measure the share we got).
            double peak = 0;
            for (Future<Double> f : pool.invokeAll(fma)) peak += f.get();

            // The faster of System.arraycopy and a plain vector copy loop (CopyBandwidth says why).
            double bw = CopyBandwidth.measure(threads, millis);
            return new Limits(threads, PeakFlops.lanes(), peak, bw);
        } finally {
            pool.shutdownNow();
        }
    }
}
