package dev.adjoint.bench;

import dev.adjoint.kernels.*;
import java.lang.management.ManagementFactory;
import java.util.*;


/**
 * Per-chunk thread CPU of the forward convs A-D on a 2-thread pool against serial thread CPU
 * (docs/perf/conv.md, wave 7): how much of a split call the calling thread runs. Probe, not a benchmark:
 * its timed splitter allocates a lambda per call. Run: {@code java ... dev.adjoint.bench.ConvChunkProbe 30}.
 */
public final class ConvChunkProbe {
    static final int[][] LAYERS = {{32, 14, 32, 64, 3, 1, 1}, {8, 56, 64, 64, 3, 1, 1}, {8, 56, 64, 64, 3, 2, 1}, {32, 28, 1, 32, 5, 1, 2}};
    private ConvChunkProbe() {}

    /** @param a reps */
    public static void main(String[] a) {
        var mx = ManagementFactory.getThreadMXBean();
        int reps = Integer.parseInt(a[0]);
        ThreadPool pool = new ThreadPool(2);
        long[] chunkCpu = new long[64]; int[] nch = new int[1]; long[] workerChunks = new long[1];
        WorkSplitter timed = new WorkSplitter() {
            public int threads() { return 2; }
            public void forEach(int chunks, Chunk t) {
                nch[0] = chunks;
                pool.forEach(chunks, i -> { long c0 = mx.getCurrentThreadCpuTime(); t.run(i); long d = mx.getCurrentThreadCpuTime() - c0;
                    synchronized (chunkCpu) { chunkCpu[i] += d; if (!Thread.currentThread().getName().equals("main")) workerChunks[0]++; } });
            }
        };
        SplittableRandom rnd = new SplittableRandom(1);
        for (int li = 0; li < 4; li++) {
            int[] l = LAYERS[li];
            ConvGeometry g = ConvGeometry.simple(l[0], new int[] {l[1], l[1]}, l[2], new int[] {l[4], l[4]}, l[3], l[5], l[6], 1);
            ConvWorkspace ws = new ConvWorkspace(g, 2);
            float[] x = r(rnd, g.inputLength()), k = r(rnd, g.kernelLength()), y = new float[(int) g.outputLength()];
            long end = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < end) { Conv.forward(ws, x, 0, k, 0, y, 0, WorkSplitter.SERIAL); Conv.forward(ws, x, 0, k, 0, y, 0, timed); }
            double[] ser = new double[reps], sum = new double[reps], call = new double[reps];
            for (int r = 0; r < reps; r++) {
                long c0 = mx.getCurrentThreadCpuTime();
                Conv.forward(ws, x, 0, k, 0, y, 0, WorkSplitter.SERIAL);
                ser[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
                Arrays.fill(chunkCpu, 0);
                long c1 = mx.getCurrentThreadCpuTime();
                Conv.forward(ws, x, 0, k, 0, y, 0, timed);
                call[r] = (mx.getCurrentThreadCpuTime() - c1) / 1e6;
                long s = 0; for (long v : chunkCpu) s += v; sum[r] = s / 1e6;
            }
            System.out.printf("%c serial %.3f ms | 2t: chunks %d, chunk CPU summed %.3f ms, caller CPU %.3f ms (chunks + spin)%n",
                "ABCD".charAt(li), med(ser), nch[0], med(sum), med(call));
            workerChunks[0] = 0;
        }
        pool.close();
    }
    static double med(double[] v) { double[] s = v.clone(); Arrays.sort(s); return s[s.length / 2]; }
    static float[] r(SplittableRandom rnd, long n) { float[] a = new float[(int) n]; for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1); return a; }
}
