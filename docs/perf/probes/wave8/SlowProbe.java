package dev.adjoint.kernels;

import java.lang.management.ManagementFactory;
import java.util.*;

/** Consecutive 2-thread calls of one shape and forced mode; prints chunk details of the slowest calls. */
public final class SlowProbe {
    static final int MAXC = 16;
    public static void main(String[] args) {
        String shape = args[0]; int calls = Integer.parseInt(args[1]); int mode = Integer.parseInt(args[2]);
        var mx = ManagementFactory.getThreadMXBean();
        String[] d = shape.split("x");
        int m = Integer.parseInt(d[0]), k = d.length == 3 ? Integer.parseInt(d[1]) : m, n = Integer.parseInt(d[d.length - 1]);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        Arrays.fill(a, 0.5f); Arrays.fill(b, 0.25f);
        long[][] st = new long[calls][MAXC], en = new long[calls][MAXC], cp = new long[calls][MAXC];
        char[][] who = new char[calls][MAXC];
        long[] tot = new long[calls], base = new long[1]; int[] cur = new int[1];
        try (ThreadPool pool = new ThreadPool(2)) {
            WorkSplitter rec = new WorkSplitter() {
                public int threads() { return 2; }
                public void forEach(int chunks, Chunk task) {
                    pool.forEach(chunks, i -> {
                        int ci = cur[0];
                        long s = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                        task.run(i);
                        if (ci >= 0 && i < MAXC) { en[ci][i] = System.nanoTime() - base[0]; st[ci][i] = s - base[0]; cp[ci][i] = mx.getCurrentThreadCpuTime() - c0;
                            who[ci][i] = Thread.currentThread().getName().startsWith("adjoint") ? 'W' : 'C'; }
                    });
                }
            };
            GemmWorkspace ws = new GemmWorkspace();
            cur[0] = -1;
            for (int w = 0; w < 3000; w++) Gemm.sgemm(1, m, n, k, 1f, a, 0, k, 1, 0, b, 0, n, 1, 0, false, c, 0, n, 0, GemmEpilogue.NONE, ws, rec, Gemm.PATH_AUTO, null, mode);
            for (int q = 0; q < calls; q++) {
                cur[0] = q; base[0] = System.nanoTime();
                Gemm.sgemm(1, m, n, k, 1f, a, 0, k, 1, 0, b, 0, n, 1, 0, false, c, 0, n, 0, GemmEpilogue.NONE, ws, rec, Gemm.PATH_AUTO, null, mode);
                tot[q] = System.nanoTime() - base[0];
            }
        }
        long[] s = tot.clone(); Arrays.sort(s); long med = s[calls / 2];
        int slow = 0, oneThread = 0;
        for (int q = 0; q < calls; q++) {
            boolean one = who[q][1] == who[q][0];
            if (one) oneThread++;
            if (tot[q] > 1.5 * med) slow++;
        }
        System.out.printf("%s mode %d: med %.1f us, p95 %.1f, p99 %.1f; calls > 1.5x med: %d of %d; one-thread calls %d%n", shape, mode, med / 1e3, s[calls * 95 / 100] / 1e3, s[calls * 99 / 100] / 1e3, slow, calls, oneThread);
        StringBuilder ts = new StringBuilder("series (mean us per 100 calls, one-thread count):");
        for (int q0 = 0; q0 + 100 <= calls; q0 += 100) { long sum = 0; int one = 0; for (int q = q0; q < q0 + 100; q++) { sum += tot[q]; if (who[q][0] == who[q][1]) one++; } ts.append(String.format(" %.0f/%d", sum / 100e3, one)); }
        System.out.println(ts);
        Integer[] idx = new Integer[calls]; for (int q = 0; q < calls; q++) idx[q] = q;
        Arrays.sort(idx, (x, y) -> Long.compare(tot[y], tot[x]));
        for (int r = 0; r < 12; r++) {
            int q = idx[r]; StringBuilder sb = new StringBuilder(String.format("call %5d total %7.1f:", q, tot[q] / 1e3));
            for (int i = 0; i < MAXC && who[q][i] != 0; i++) sb.append(String.format(" [%d %c %.0f-%.0f cpu %.0f]", i, who[q][i], st[q][i] / 1e3, en[q][i] / 1e3, cp[q][i] / 1e3));
            System.out.println(sb);
        }
    }
}
