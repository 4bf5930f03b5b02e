package dev.adjoint.bench;

import dev.adjoint.kernels.Conv;
import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Forward-only conv timing of the layers A-D (and LeNet's conv2), one JVM, layers interleaved
 * round by round so that load changes hit every layer alike: per call, the calling thread's CPU
 * time (1 thread) or wall time (2 threads), medians with p10/p90, and GFLOP/s. Peer, in the same
 * format: {@code /usr/bin/python3 bench/peers/torch_conv.py --fwd --threads T}.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.ConvForwardTiming [reps] [threads] [layers]}
 * with layers a string of letters from ABCDL (default ABCD).
 */
public final class ConvForwardTiming {
    private ConvForwardTiming() {}

    /** N, H(=W), Cin, Cout, k, stride, pad for A, B, C, D and LeNet's conv2 (L: N64 14x14 6->16 k5, no padding). */
    static final int[][] LAYERS = {{32, 14, 32, 64, 3, 1, 1}, {8, 56, 64, 64, 3, 1, 1}, {8, 56, 64, 64, 3, 2, 1},
            {32, 28, 1, 32, 5, 1, 2}, {64, 14, 6, 16, 5, 1, 0}};

    /**
     * Times the layers.
     *
     * @param args reps (default 40), threads (default 1), layers (default ABCD)
     */
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String which = args.length > 2 ? args[2] : "ABCD";
        var mx = ManagementFactory.getThreadMXBean();
        WorkSplitter split = threads == 1 ? WorkSplitter.SERIAL : new ThreadPool(threads);
        int nl = which.length();
        ConvWorkspace[] ws = new ConvWorkspace[nl];
        float[][] x = new float[nl][], k = new float[nl][], y = new float[nl][];
        double[] flops = new double[nl];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < nl; i++) {
            int[] l = LAYERS[which.charAt(i) == 'L' ? 4 : which.charAt(i) - 'A'];
            ConvGeometry g = ConvGeometry.simple(l[0], new int[] {l[1], l[1]}, l[2], new int[] {l[4], l[4]}, l[3], l[5], l[6], 1);
            ws[i] = new ConvWorkspace(g, threads);
            x[i] = rand(rnd, g.inputLength()); k[i] = rand(rnd, g.kernelLength()); y[i] = new float[(int) g.outputLength()];
            flops[i] = g.flops();
        }
        // Long: under load the JIT compiler threads get little CPU, and the conv drivers (flush, bandUnit) reach C2 seconds after start.
        long end = System.nanoTime() + Long.getLong("adjoint.timing.warmMillis", 6000) * 1_000_000L;
        while (System.nanoTime() < end)
            for (int i = 0; i < nl; i++) Conv.forward(ws[i], x[i], 0, k[i], 0, y[i], 0, split);
        double[][] t = new double[nl][reps];
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < nl; i++) {
                long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                Conv.forward(ws[i], x[i], 0, k[i], 0, y[i], 0, split);
                long c1 = mx.getCurrentThreadCpuTime(), t1 = System.nanoTime();
                t[i][r] = (threads == 1 ? c1 - c0 : t1 - t0) / 1e6;
            }
        for (int i = 0; i < nl; i++) {
            double[] s = t[i].clone();
            Arrays.sort(s);
            double med = s[reps / 2];
            System.out.printf("threads=%d %c fwd %s %8.3f ms (p10 %.3f p90 %.3f) %6.1f GFLOP/s  path %s%n", threads, which.charAt(i),
                    threads == 1 ? "cpu" : "wall", med, s[reps / 10], s[reps * 9 / 10], flops[i] / med / 1e6,
                    Conv.chosenPath(ws[i]).name().toLowerCase(java.util.Locale.ROOT));
        }
        if (split instanceof ThreadPool p) p.close();
    }

    private static float[] rand(SplittableRandom rnd, long len) {
        float[] a = new float[(int) len];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }
}
