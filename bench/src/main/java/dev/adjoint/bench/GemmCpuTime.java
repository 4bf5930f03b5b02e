package dev.adjoint.bench;

import dev.adjoint.kernels.Gemm;
import dev.adjoint.kernels.GemmEpilogue;
import dev.adjoint.kernels.GemmWorkspace;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Companion to {@link GemmBench} for a shared, loaded machine: square SGEMM timed both by wall
 * clock and by process CPU time. GFLOP per CPU-second discounts the time the process spends
 * descheduled while other work runs, so it compares kernels fairly under load; it is the
 * same metric as the "per-CPU-second" column of bench/peers/numpy_gemm.py. On 1 thread the CPU time is
 * the calling thread's ({@code ThreadMXBean}), on more the whole process's.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.GemmCpuTime [threads] [shape,shape,...]},
 * a shape being {@code n} (square) or {@code MxKxN}, optionally followed by {@code a} (A stored
 * transposed, K x M, as dW = X^T dY reads it) and/or {@code b} (B stored transposed, N x K, as
 * dX = dY W^T reads it); bench/peers/numpy_gemm.py takes the same shapes in GEMM_SIZES.
 */
public final class GemmCpuTime {
    private GemmCpuTime() {}

    /**
     * Runs the measurement.
     *
     * @param args optional thread count (default 1) and comma-separated shapes
     */
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        String[] shapes = (args.length > 1 ? args[1] : "128,256,512,1024,2048").split(",");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var threadMx = ManagementFactory.getThreadMXBean();
        // 1 thread: this thread's CPU time (nanosecond resolution; the process's CPU time advances in
        // 10 ms ticks and also counts JIT and GC threads). 2+ threads: the process's, over all workers.
        java.util.function.LongSupplier cpuNs = threads == 1 ? threadMx::getCurrentThreadCpuTime : os::getProcessCpuTime;
        GemmWorkspace ws = new GemmWorkspace();
        try (ThreadPool pool = threads > 1 ? new ThreadPool(threads) : null) {
            WorkSplitter sp = pool != null ? pool : WorkSplitter.SERIAL;
            for (String shape : shapes) {
                boolean ta = shape.contains("a"), tb = shape.contains("b");
                String[] d = shape.replaceAll("[ab]", "").split("x");
                int m = Integer.parseInt(d[0]), k = d.length == 3 ? Integer.parseInt(d[1]) : m, n = Integer.parseInt(d[d.length - 1]);
                float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble();
                for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble();
                int ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
                double flop = 2.0 * m * n * k;
                // Samples of ~0.2 s: process CPU time advances in coarse ticks.
                int inner = (int) Math.max(1, 1.6e10 / flop), samples = 7;
                double[] wall = new double[samples], cpu = new double[samples];
                for (int s = -3; s < samples; s++) {   // 3 warm-up samples
                    long t = System.nanoTime(), tc = cpuNs.getAsLong();
                    for (int q = 0; q < inner; q++) {
                        Gemm.sgemm(1, m, n, k, 1f, a, 0, ars, acs, 0, b, 0, brs, bcs, 0, false, c, 0, n, 0,
                                GemmEpilogue.NONE, ws, sp);
                    }
                    if (s >= 0) {
                        wall[s] = flop * inner / (System.nanoTime() - t);
                        cpu[s] = flop * inner / (cpuNs.getAsLong() - tc);
                    }
                }
                Arrays.sort(wall);
                Arrays.sort(cpu);
                System.out.printf("adjoint N=%5s threads=%d GFLOP/s median %7.1f  (min %6.1f max %6.1f)  per-CPU-second median %6.1f%n",
                        shape, threads, wall[samples / 2], wall[0], wall[samples - 1], cpu[samples / 2]);
            }
        }
    }
}
