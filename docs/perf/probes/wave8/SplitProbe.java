package dev.adjoint.kernels;

import java.util.*;

/** Forced split modes interleaved on a ThreadPool(2): per-call wall, median and p10 per mode. */
public final class SplitProbe {
    public static void main(String[] args) {
        String[] shapes = args[0].split(",");
        int rounds = Integer.parseInt(args[1]);
        int[] modes = Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray(); // -1 auto, 0 serial(whole), 2 N, 3 M, 4 sharedB
        try (ThreadPool pool = new ThreadPool(2)) {
            for (String shape : shapes) {
                boolean ta = shape.endsWith("a");
                String[] d = shape.replace("a", "").split("x");
                int m = Integer.parseInt(d[0]), k = d.length == 3 ? Integer.parseInt(d[1]) : m, n = Integer.parseInt(d[d.length - 1]);
                float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble();
                for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble();
                int ars = ta ? 1 : k, acs = ta ? m : 1;
                double flop = 2.0 * m * n * k;
                int per = (int) Math.max(2, Math.min(400, 2e9 / flop));
                GemmWorkspace[] ws = new GemmWorkspace[modes.length];
                double[][] t = new double[modes.length][rounds * per];
                for (int q = 0; q < modes.length; q++) ws[q] = new GemmWorkspace();
                for (int round = -8; round < rounds; round++) {
                    for (int qq = 0; qq < modes.length; qq++) {
                        int q = (qq + Math.max(round, 0)) % modes.length;
                        int mode = modes[q];
                        WorkSplitter sp = mode == 0 ? WorkSplitter.SERIAL : pool;
                        int split = mode <= 0 ? Gemm.SPLIT_AUTO : mode;
                        Gemm.sgemm(1, m, n, k, 1f, a, 0, ars, acs, 0, b, 0, n, 1, 0, false, c, 0, n, 0,
                                GemmEpilogue.NONE, ws[q], sp, Gemm.PATH_AUTO, null, split);
                        for (int i = 0; i < per; i++) {
                            long t0 = System.nanoTime();
                            Gemm.sgemm(1, m, n, k, 1f, a, 0, ars, acs, 0, b, 0, n, 1, 0, false, c, 0, n, 0,
                                    GemmEpilogue.NONE, ws[q], sp, Gemm.PATH_AUTO, null, split);
                            if (round >= 0) t[q][round * per + i] = System.nanoTime() - t0;
                        }
                    }
                }
                StringBuilder sb = new StringBuilder(shape + " per=" + per + ":");
                for (int q = 0; q < modes.length; q++) {
                    double[] x = t[q].clone(); Arrays.sort(x);
                    double med = x[x.length / 2], p10 = x[x.length / 10];
                    sb.append(String.format("  mode%d med %.0f p10 %.0f GF/s", modes[q], flop / med, flop / p10));
                }
                System.out.println(sb);
            }
        }
    }
}
