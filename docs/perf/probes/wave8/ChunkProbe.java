package dev.adjoint.kernels;

import java.lang.management.ManagementFactory;
import java.util.*;

/** Per-chunk wall start/end and thread CPU of forced split modes on a ThreadPool(2). */
public final class ChunkProbe {
    static final int MAX = 64;
    static long t0;
    static final long[] start = new long[MAX], end = new long[MAX], cpu = new long[MAX];
    static final String[] who = new String[MAX];

    static double med(List<Double> x) { if (x.isEmpty()) return Double.NaN; var y = new ArrayList<>(x); Collections.sort(y); return y.get(y.size() / 2); }
    public static void main(String[] args) {
        String shape = args[0];
        int calls = Integer.parseInt(args[1]);
        int[] modes = Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
        var mx = ManagementFactory.getThreadMXBean();
        try (ThreadPool pool = new ThreadPool(2)) {
            WorkSplitter rec = new WorkSplitter() {
                public int threads() { return 2; }
                public void forEach(int chunks, Chunk task) {
                    pool.forEach(chunks, i -> {
                        long s = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                        task.run(i);
                        end[i] = System.nanoTime() - t0; start[i] = s - t0;
                        cpu[i] = mx.getCurrentThreadCpuTime() - c0; who[i] = Thread.currentThread().getName();
                    });
                }
            };
            boolean ta = shape.endsWith("a");
            String[] d = shape.replace("a", "").split("x");
            int m = Integer.parseInt(d[0]), k = d.length == 3 ? Integer.parseInt(d[1]) : m, n = Integer.parseInt(d[d.length - 1]);
            float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble();
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble();
            int ars = ta ? 1 : k, acs = ta ? m : 1;
            GemmWorkspace ws = new GemmWorkspace();
            int[] conc = new int[modes.length];
            List<Double>[] cc = new List[modes.length], ccpu = new List[modes.length], delay = new List[modes.length], tot = new List[modes.length];
            for (int q = 0; q < modes.length; q++) { cc[q] = new ArrayList<>(); ccpu[q] = new ArrayList<>(); delay[q] = new ArrayList<>(); tot[q] = new ArrayList<>(); }
            for (int rep = 0; rep < calls; rep++) {
                for (int mode : modes) {
                    WorkSplitter sp = mode == 0 ? WorkSplitter.SERIAL : rec;
                    for (int w = 0; w < 20; w++) Gemm.sgemm(1, m, n, k, 1f, a, 0, ars, acs, 0, b, 0, n, 1, 0, false, c, 0, n, 0,
                            GemmEpilogue.NONE, ws, sp, Gemm.PATH_AUTO, null, mode <= 0 ? Gemm.SPLIT_AUTO : mode);
                    Arrays.fill(who, null);
                    t0 = System.nanoTime();
                    Gemm.sgemm(1, m, n, k, 1f, a, 0, ars, acs, 0, b, 0, n, 1, 0, false, c, 0, n, 0,
                            GemmEpilogue.NONE, ws, sp, Gemm.PATH_AUTO, null, mode <= 0 ? Gemm.SPLIT_AUTO : mode);
                    long total = System.nanoTime() - t0;
                    if (rep < calls / 3) continue;
                    int qm = java.util.Arrays.binarySearch(modes, mode);
                    if (who[1] != null && !who[0].equals(who[1])) { conc[qm]++; cc[qm].add(total / 1e3); ccpu[qm].add((cpu[0] + cpu[1]) / 2e3); delay[qm].add(Math.abs(start[1]-start[0]) / 1e3);} else { tot[qm].add(total / 1e3); }
                    if (rep < calls - 2) continue;
                    StringBuilder sb = new StringBuilder(String.format("%s mode%d total %6.1f us:", shape, mode, total / 1e3));
                    for (int i = 0; i < MAX && who[i] != null; i++)
                        sb.append(String.format("  [%d %s %.1f-%.1f cpu %.1f]", i, who[i].endsWith("1") ? "W" : "C", start[i] / 1e3, end[i] / 1e3, cpu[i] / 1e3));
                    System.out.println(sb);
                }
            }
            for (int q = 0; q < modes.length; q++)
                System.out.printf("mode%d: concurrent %d calls, total med %.1f us, chunk cpu med %.1f, start gap med %.1f; one-thread calls %d med %.1f%n",
                        modes[q], conc[q], med(cc[q]), med(ccpu[q]), med(delay[q]), tot[q].size(), med(tot[q]));
        }
    }
}
