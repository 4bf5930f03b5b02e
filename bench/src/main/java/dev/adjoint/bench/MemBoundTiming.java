package dev.adjoint.bench;

import dev.adjoint.kernels.BinaryKernelOp;
import dev.adjoint.kernels.Elementwise;
import dev.adjoint.kernels.FusedProgram;
import dev.adjoint.kernels.Movement;
import dev.adjoint.kernels.Reduce;
import dev.adjoint.kernels.ReduceKernelOp;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.UnaryKernelOp;
import dev.adjoint.kernels.WorkSplitter;
import dev.adjoint.bench.perf.CopyBandwidth;
import dev.adjoint.bench.perf.ReadBandwidth;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Companion to the memory-bound JMH benchmarks for a shared, loaded machine: the issue-13 kernels
 * (neg, exp, the 4-op fused chain, sum-all, row-sum, 2-D transpose) interleaved with their
 * yardsticks in one loop, so each round sees the same machine. Each yardstick is the faster
 * (by median) of two: copy is System.arraycopy or a plain vector copy loop ({@link CopyBandwidth}:
 * on the Zen 4 arraycopy alone was slower than neg), read is {@code Arrays.mismatch} of two equal
 * arrays or a plain vector sum ({@link ReadBandwidth}). Times are the calling
 * thread's CPU time (descheduled time does not count; with 2 threads it is only the caller's
 * share, so read the wall column there) and wall time; the ratios are bandwidths, bytes the
 * kernel must move per second over the yardstick's. With 2 threads the yardsticks run one half
 * per thread on the same pool.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.MemBoundTiming [threads] [rounds] [n]}
 */
public final class MemBoundTiming {
    private MemBoundTiming() {}

    private static final String[] NAMES = {"copy", "vcopy", "read", "vread", "neg", "exp", "chain4", "sumAll", "sumRows", "transpose"};
    /** Bytes each kernel must move per element (read + write; a reduction reads only). */
    private static final double[] BYTES = {8, 8, 8, 4, 8, 8, 12, 4, 4, 8};

    /**
     * Runs the measurement and prints one line per kernel.
     *
     * @param args optional thread count (default 1), rounds (default 15), floats (default 16M)
     */
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1 << 24;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var tm = ManagementFactory.getThreadMXBean();
        float[] x = new float[n], y = new float[n], x2, d = new float[n], sums = new float[n / 1024 + 1];
        for (int i = 0; i < n; i++) { x[i] = (i % 1000) * 1e-3f - 0.5f; y[i] = (i % 13) * 0.1f; }
        x2 = x.clone();
        FusedProgram.Builder b = FusedProgram.builder(2);
        int v = b.binary(BinaryKernelOp.MUL, b.load(0), b.constant(0.5f));
        v = b.binary(BinaryKernelOp.ADD, v, b.constant(1f));
        v = b.binary(BinaryKernelOp.MAX, v, b.constant(0f));
        FusedProgram chain4 = b.build(b.binary(BinaryKernelOp.SUB, v, b.load(1)));
        float[][] in = {x, y};
        int[] offs = {0, 0}, flat = {n}, one = {1}, all = {0}, mat = {n / 1024, 1024}, matStr = {1024, 1}, ax1 = {1}, perm = {1, 0};
        int[][] st = {one, one};
        Reduce.Prepared sumAll = Reduce.prepare(ReduceKernelOp.SUM, flat, one, all);
        Reduce.Prepared sumRows = Reduce.prepare(ReduceKernelOp.SUM, mat, matStr, ax1);
        int k = NAMES.length, warm = 5;
        double[][] cpu = new double[k][rounds], wall = new double[k][rounds];
        int[] sink = new int[2];
        float[] vsum = new float[2];
        try (ThreadPool pool = threads > 1 ? new ThreadPool(threads) : null) {
            WorkSplitter sp = pool != null ? pool : WorkSplitter.SERIAL;
            int h = n / 2;
            for (int r = 0; r < warm + rounds; r++) {
                for (int j = 0; j < k; j++) {
                    long c0 = tm.getCurrentThreadCpuTime(), w0 = System.nanoTime();
                    switch (j) {
                        case 0 -> {
                            if (pool == null) System.arraycopy(x, 0, d, 0, n);
                            else pool.forEach(2, i -> System.arraycopy(x, i * h, d, i * h, i == 0 ? h : n - h));
                        }
                        case 1 -> {
                            if (pool == null) CopyBandwidth.vectorCopy(x, d, 0, n);
                            else pool.forEach(2, i -> CopyBandwidth.vectorCopy(x, d, i * h, i == 0 ? h : n));
                        }
                        case 2 -> {
                            if (pool == null) sink[0] = Arrays.mismatch(x, x2);
                            else pool.forEach(2, i -> sink[i] = Arrays.mismatch(x, i * h, i == 0 ? h : n, x2, i * h, i == 0 ? h : n));
                        }
                        case 3 -> {
                            if (pool == null) vsum[0] += ReadBandwidth.sum(x, 0, n);
                            else pool.forEach(2, i -> vsum[i] += ReadBandwidth.sum(x, i * h, i == 0 ? h : n));
                        }
                        case 4 -> Elementwise.unary(UnaryKernelOp.NEG, flat, x, 0, one, d, 0, sp);
                        case 5 -> Elementwise.unary(UnaryKernelOp.EXP, flat, x, 0, one, d, 0, sp);
                        case 6 -> chain4.run(flat, in, offs, st, d, 0, sp);
                        case 7 -> sumAll.run(x, 0, sums, 0, sp);
                        case 8 -> sumRows.run(x, 0, sums, 0, sp);
                        case 9 -> Movement.transpose(mat, x, 0, perm, d, 0, sp);
                        default -> throw new IllegalStateException();
                    }
                    long c1 = tm.getCurrentThreadCpuTime(), w1 = System.nanoTime();
                    if (r >= warm) { cpu[j][r - warm] = (c1 - c0) / 1e3; wall[j][r - warm] = (w1 - w0) / 1e3; }
                }
            }
        }
        double load = os.getSystemLoadAverage();
        System.out.printf("threads %d, %d floats, %d rounds, load average %.2f at the end; medians [min-max], us%n", threads, n, rounds, load);
        // Per yardstick the faster of its two loops; bandwidths compared as bytes per microsecond.
        double copyCpu = Math.max(8 / median(cpu[0]), 8 / median(cpu[1])), copyWall = Math.max(8 / median(wall[0]), 8 / median(wall[1]));
        double readCpu = Math.max(8 / median(cpu[2]), 4 / median(cpu[3])), readWall = Math.max(8 / median(wall[2]), 4 / median(wall[3]));
        for (int j = 0; j < k; j++) {
            double c = median(cpu[j]), w = median(wall[j]);
            boolean reduction = j == 2 || j == 3 || j == 7 || j == 8;
            double refC = reduction ? readCpu : copyCpu, refW = reduction ? readWall : copyWall;
            System.out.printf("%-9s cpu %8.0f [%6.0f-%6.0f]  wall %8.0f [%6.0f-%6.0f]  bandwidth vs %s: cpu %.2f, wall %.2f%n",
                    NAMES[j], c, min(cpu[j]), max(cpu[j]), w, min(wall[j]), max(wall[j]), reduction ? "read" : "copy",
                    (BYTES[j] / c) / refC, (BYTES[j] / w) / refW);
        }
        if (sink[0] >= 0 || sink[1] > 0) System.out.println("(the read yardstick found a difference: " + sink[0] + ")");
        if (!(vsum[0] != 0)) System.out.println("(the vector read yardstick summed to 0)");
    }

    private static double median(double[] a) { double[] s = a.clone(); Arrays.sort(s); return s[s.length / 2]; }

    private static double min(double[] a) { return Arrays.stream(a).min().orElse(0); }

    private static double max(double[] a) { return Arrays.stream(a).max().orElse(0); }
}
