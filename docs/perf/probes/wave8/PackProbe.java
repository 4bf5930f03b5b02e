package dev.adjoint.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Wave 8 probe: packing a transposed A (K x M stored, as dW = X^T dY reads it) into 8-row slivers,
 * the library's GemmPacking.packA against the old masked 16-lane copy, ns per packed element (thread
 * CPU time), the whole K x M source packed MC rows at a time as the GEMM does, interleaved, R windows.
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp kernels-simd/target/classes -d /tmp/g8cls docs/perf/probes/wave8/PackProbe.java
 * java --add-modules jdk.incubator.vector -cp /tmp/g8cls:kernels-simd/target/classes dev.adjoint.kernels.PackProbe 512 128 15
 * </pre>
 */
public class PackProbe {
    public static void main(String[] args) {
        int m = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
        float[] a = new float[m * k];
        for (int i = 0; i < a.length; i++) a[i] = i;
        GemmBlocking bl = GemmMicroKernel.BLOCKING;
        int kc = bl.blockK(k), mc = bl.mc(), mr = bl.mr();
        float[] d1 = new float[mc * kc], d2 = new float[mc * kc];
        // same result first
        GemmPacking.packA(a, 0, 1, m, mc, kc, mr, d1);
        oldPack(a, 0, 1, m, mc, kc, mr, d2);
        if (!Arrays.equals(d1, d2)) throw new AssertionError("differs");
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        int inner = (int) Math.max(1, 2e8 / ((long) m * k));
        pairPack(a, 0, 1, m, mc, kc, mr, d1);
        if (!Arrays.equals(d1, d2)) throw new AssertionError("pair differs");
        double[][] t = new double[3][rounds];
        for (int r = -3; r < rounds; r++) {
            for (int v = 0; v < 3; v++) {
                long t0 = tm.getCurrentThreadCpuTime();
                for (int q = 0; q < inner; q++) {
                    for (int pc = 0; pc < k; pc += kc) {
                        for (int ic = 0; ic < m; ic += mc) {
                            int h = Math.min(mc, m - ic);
                            if (v == 0) oldPack(a, ic + pc * m, 1, m, h, Math.min(kc, k - pc), mr, d2);
                            else if (v == 1) GemmPacking.packA(a, ic + pc * m, 1, m, h, Math.min(kc, k - pc), mr, d1);
                            else pairPack(a, ic + pc * m, 1, m, h, Math.min(kc, k - pc), mr, d1);
                        }
                    }
                }
                long t1 = tm.getCurrentThreadCpuTime();
                if (r >= 0) t[v][r] = (t1 - t0) / ((double) inner * m * k);
            }
        }
        System.out.printf("A^T %dx%d load %.2f:", m, k, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        String[] names = {"old masked", "library", "pairs"};
        for (int v = 0; v < 3; v++) {
            double[] s = t[v].clone();
            Arrays.sort(s);
            System.out.printf("  %s %.3f [%.3f, %.3f] ns/elem", names[v], s[rounds / 2], s[0], s[rounds - 1]);
        }
        System.out.println();
    }

    /** Two 8-row slivers per pass: one unmasked 16-lane load, its upper half moved down (slice), two masked stores. */
    static void pairPack(float[] a, int off, int rs, int cs, int rows, int kc, int mr, float[] dst) {
        VectorMask<Float> msk = GemmMicroKernel.mask(8);
        int i0 = 0, d = 0;
        for (; i0 + 16 <= rows; i0 += 16, d += 2 * kc * 8) {
            int base = off + i0;
            for (int p = 0; p < kc; p++) {
                FloatVector v = FloatVector.fromArray(GemmMicroKernel.S, a, base + p * cs);
                v.intoArray(dst, d + p * 8, msk);
                v.slice(8).intoArray(dst, d + kc * 8 + p * 8, msk);
            }
        }
        if (i0 < rows) oldPackTail(a, off + i0, rs, cs, rows - i0, kc, mr, dst, d);
    }

    static void oldPackTail(float[] a, int off, int rs, int cs, int rows, int kc, int mr, float[] dst, int d0) {
        float[] tmp = new float[((rows + mr - 1) / mr) * kc * mr];
        oldPack(a, off, rs, cs, rows, kc, mr, tmp);
        System.arraycopy(tmp, 0, dst, d0, tmp.length);
    }

    /** The transposed-A branch of GemmPacking.packA before wave 8 (full slivers; edges as the library). */
    static void oldPack(float[] a, int off, int rs, int cs, int rows, int kc, int mr, float[] dst) {
        int d = 0;
        for (int i0 = 0; i0 < rows; i0 += mr) {
            int mv = Math.min(mr, rows - i0);
            int base = off + i0 * rs;
            if (mv == mr) {
                VectorMask<Float> msk = GemmMicroKernel.mask(mr);
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(GemmMicroKernel.S, a, base + p * cs, msk).intoArray(dst, d + p * mr, msk);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = base + p * cs, o = d + p * mr, r = 0;
                    for (; r < mv; r++) dst[o + r] = a[src + r * rs];
                    for (; r < mr; r++) dst[o + r] = 0f;
                }
            }
            d += kc * mr;
        }
    }
}
