package dev.adjoint.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Wave 8 (gemm8) probe: where a 1-thread packed SGEMM call's time goes. A copy of Gemm.Call's serial
 * loop nest (packed -> sweepRows -> macro) with parts left out or changed, interleaved in one JVM with
 * the library call, GFLOP per second of thread CPU time, median [min, max] of R windows of ~150 ms.
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -cp kernels-simd/target/classes -d /tmp/g8cls docs/perf/probes/wave8/GProbe.java
 * java --add-modules jdk.incubator.vector -cp /tmp/g8cls:kernels-simd/target/classes dev.adjoint.kernels.GProbe 2048 9 lib,copy,nomerge,smallc,nopack,kernel
 * </pre>
 * Shapes as GemmCpuTime's (MxKxN, trailing a = A stored transposed). Variants:
 * lib (Gemm.sgemm), copy (the loop nest as in the library), nomerge (no merge call), smallc (merge into an
 * L1-resident mr x NR scratch instead of C), nopack (packing skipped: panels packed once, stale data),
 * kernel (neither packing nor merge), Lkc.mc (the library with other cache blocks), bkc.mc (copy with other blocks), touchcur / touchnext (read one float per C cache line of this /
 * the next tile before the kernel, so the lines are on their way while the FMAs run), oldpa (copy, with a transposed A
 * packed by the pre-wave-8 masked copy, PackProbe.oldPack).
 */
public class GProbe {
    static float sink;

    public static void main(String[] args) {
        String shape = args[0];
        int rounds = Integer.parseInt(args[1]);
        String[] vs = args[2].split(",");
        boolean ta = shape.contains("a");
        String[] d = shape.replace("a", "").split("x");
        int m = Integer.parseInt(d[0]), k = d.length == 3 ? Integer.parseInt(d[1]) : m, n = Integer.parseInt(d[d.length - 1]);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble();
        int ars = ta ? 1 : k, acs = ta ? m : 1;
        GemmBlocking bl = GemmMicroKernel.BLOCKING;
        GemmWorkspace ws = new GemmWorkspace();
        int kc0 = bl.blockK(k);
        float[] pa = new float[1 << 18], pb = new float[(Math.min(bl.nc(), n) + 32) * Math.min(k, 1024)];
        float[] tile = new float[bl.mr() * GemmMicroKernel.NR], small = new float[bl.mr() * GemmMicroKernel.NR];
        double flop = 2.0 * m * n * k;
        int inner = (int) Math.max(1, 2.5e10 / flop);
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        double[][] g = new double[vs.length][rounds];
        for (int rd = -3; rd < rounds; rd++) {
            for (int v = 0; v < vs.length; v++) {
                String var = vs[(v + Math.max(rd, 0)) % vs.length];   // rotate the order per round
                int vi = Arrays.asList(vs).indexOf(var);
                long t0 = tm.getCurrentThreadCpuTime();
                for (int q = 0; q < inner; q++) {
                    if (var.equals("lib")) {
                        Gemm.sgemm(1, m, n, k, 1f, a, 0, ars, acs, 0, b, 0, n, 1, 0, false, c, 0, n, 0,
                                GemmEpilogue.NONE, ws, WorkSplitter.SERIAL);
                    } else if (var.startsWith("L")) {   // the library with other cache blocks, e.g. L512.96
                        String[] bq = var.substring(1).split("\\.");
                        Gemm.sgemm(1, m, n, k, 1f, a, 0, ars, acs, 0, b, 0, n, 1, 0, false, c, 0, n, 0,
                                GemmEpilogue.NONE, ws, WorkSplitter.SERIAL, Gemm.PATH_AUTO,
                                bl.withBlocks(Integer.parseInt(bq[0]), Integer.parseInt(bq[1]), bl.nc()));
                    } else if (var.startsWith("b")) {
                        String[] bq = var.substring(1).split("\\.");
                        nest("copy", bl.withBlocks(Integer.parseInt(bq[0]), Integer.parseInt(bq[1]), bl.nc()), m, n, k, a, ars, acs, b, n, c, n, pa, pb, tile, small);
                    } else {
                        nest(var, bl, m, n, k, a, ars, acs, b, n, c, n, pa, pb, tile, small);
                    }
                }
                long t1 = tm.getCurrentThreadCpuTime();
                if (rd >= 0) g[vi][rd] = flop * inner / (t1 - t0);
            }
        }
        System.out.printf("%s load %.2f:", shape, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (int v = 0; v < vs.length; v++) {
            double[] s = g[v].clone();
            Arrays.sort(s);
            System.out.printf("  %s %.1f [%.1f, %.1f]", vs[v], s[rounds / 2], s[0], s[rounds - 1]);
        }
        System.out.println();
    }

    static void nest(String var, GemmBlocking bl, int m, int n, int k, float[] a, int ars, int acs, float[] b, int brs,
                     float[] c, int ldc, float[] pa, float[] pb, float[] tile, float[] small) {
        final boolean pack = !(var.equals("nopack") || var.equals("kernel"));
        final int mode = switch (var) {
            case "nomerge", "kernel" -> 1;
            case "smallc" -> 2;
            case "touchcur" -> 3;
            case "touchnext" -> 4;
            case "fused" -> 5;
            case "fusedfirst" -> 6;
            case "fusedsplit" -> 7;
            default -> 0;
        };
        final int kcMax = bl.blockK(k), ncMax = bl.nc(), mcMax = bl.mc(), mr = bl.mr(), t = bl.tile();
        final int NR = GemmMicroKernel.NR;
        float s = 0;
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                if (pack || pc == 0 && jc == 0) GemmPacking.packB(b, pc * brs + jc, brs, 1, nc, kc, pb);
                int f = GemmMicroKernel.LAST;
                if (pc > 0) f |= GemmMicroKernel.ADD_OLD;
                if (pc + kc < k) f &= GemmMicroKernel.ADD_OLD;
                for (int ic = 0; ic < m; ic += mcMax) {
                    int mc = Math.min(mcMax, m - ic);
                    if (var.equals("oldpa") && ars == 1) PackProbe.oldPack(a, ic * ars + pc * acs, ars, acs, mc, kc, mr, pa);
                    else if (pack || pc == 0 && jc == 0 && ic == 0) GemmPacking.packA(a, ic * ars + pc * acs, ars, acs, mc, kc, mr, pa);
                    int cRow = ic * ldc + jc;
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nv = Math.min(NR, nc - jr);
                        int bo = (jr / NR) * kc * NR;
                        for (int ir = 0; ir < mc; ir += mr) {
                            int rows = Math.min(mr, mc - ir);
                            if (mode == 3) s += touch(c, cRow + ir * ldc + jr, ldc, rows, nv);
                            else if (mode == 4) {
                                int nir = ir + mr, njr = jr;
                                if (nir >= mc) { nir = 0; njr = jr + NR; }
                                if (njr < nc) s += touch(c, cRow + nir * ldc + njr, ldc, Math.min(mr, mc - nir), Math.min(NR, nc - njr));
                            }
                            if (mode == 6 && rows == 8 && nv == NR && (f & GemmMicroKernel.ADD_OLD) == 0) {
                                fused8x2(kc, pa, (ir / mr) * kc * mr, pb, bo, c, cRow + ir * ldc + jr, ldc, false, 1f);
                                continue;
                            }
                            if (mode == 7 && rows == 8 && nv == NR) {
                                if ((f & GemmMicroKernel.ADD_OLD) == 0) fused8x2(kc, pa, (ir / mr) * kc * mr, pb, bo, c, cRow + ir * ldc + jr, ldc, false, 1f);
                                else fusedAdd8x2(kc, pa, (ir / mr) * kc * mr, pb, bo, c, cRow + ir * ldc + jr, ldc, true, 1f);
                                continue;
                            }
                            if (mode == 5 && rows == 8 && nv == NR) {
                                fused8x2(kc, pa, (ir / mr) * kc * mr, pb, bo, c, cRow + ir * ldc + jr, ldc, (f & GemmMicroKernel.ADD_OLD) != 0, 1f);
                                continue;
                            }
                            GemmMicroKernel.kernel(t, kc, pa, (ir / mr) * kc * mr, pb, bo, tile);
                            if (mode == 1) continue;
                            if (mode == 2) GemmMicroKernel.merge(tile, rows, nv, small, 0, NR, f, 1f, null, 0, 0);
                            else GemmMicroKernel.merge(tile, rows, nv, c, cRow + ir * ldc + jr, ldc, f, 1f, null, 0, 0);
                        }
                    }
                }
            }
        }
        sink += s;
    }

    static final jdk.incubator.vector.VectorSpecies<Float> S = GemmMicroKernel.S;
    static final int L = GemmMicroKernel.L;

    /** kernel8x2 with the merge of a full tile (alpha, optional old C) written straight into C. */
    static void fused8x2(int kc, float[] pa, int ao, float[] pb, int bo, float[] c, int co, int ldc, boolean add, float alpha) {
        jdk.incubator.vector.FloatVector z = jdk.incubator.vector.FloatVector.zero(S);
        jdk.incubator.vector.FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z, c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        for (int p = 0; p < kc; p++, ao += 8, bo += 2 * L) {
            var b0 = jdk.incubator.vector.FloatVector.fromArray(S, pb, bo);
            var b1 = jdk.incubator.vector.FloatVector.fromArray(S, pb, bo + L);
            var a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
        }
        var al = jdk.incubator.vector.FloatVector.broadcast(S, alpha);
        int o0 = co, o1 = co + ldc, o2 = co + 2 * ldc, o3 = co + 3 * ldc, o4 = co + 4 * ldc, o5 = co + 5 * ldc, o6 = co + 6 * ldc, o7 = co + 7 * ldc;
        if (add) {
            c0_0 = c0_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o0)); c0_1 = c0_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o0 + L));
            c1_0 = c1_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o1)); c1_1 = c1_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o1 + L));
            c2_0 = c2_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o2)); c2_1 = c2_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o2 + L));
            c3_0 = c3_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o3)); c3_1 = c3_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o3 + L));
            c4_0 = c4_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o4)); c4_1 = c4_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o4 + L));
            c5_0 = c5_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o5)); c5_1 = c5_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o5 + L));
            c6_0 = c6_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o6)); c6_1 = c6_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o6 + L));
            c7_0 = c7_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o7)); c7_1 = c7_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o7 + L));
        } else {
            c0_0 = c0_0.mul(al); c0_1 = c0_1.mul(al); c1_0 = c1_0.mul(al); c1_1 = c1_1.mul(al);
            c2_0 = c2_0.mul(al); c2_1 = c2_1.mul(al); c3_0 = c3_0.mul(al); c3_1 = c3_1.mul(al);
            c4_0 = c4_0.mul(al); c4_1 = c4_1.mul(al); c5_0 = c5_0.mul(al); c5_1 = c5_1.mul(al);
            c6_0 = c6_0.mul(al); c6_1 = c6_1.mul(al); c7_0 = c7_0.mul(al); c7_1 = c7_1.mul(al);
        }
        c0_0.intoArray(c, o0); c0_1.intoArray(c, o0 + L); c1_0.intoArray(c, o1); c1_1.intoArray(c, o1 + L);
        c2_0.intoArray(c, o2); c2_1.intoArray(c, o2 + L); c3_0.intoArray(c, o3); c3_1.intoArray(c, o3 + L);
        c4_0.intoArray(c, o4); c4_1.intoArray(c, o4 + L); c5_0.intoArray(c, o5); c5_1.intoArray(c, o5 + L);
        c6_0.intoArray(c, o6); c6_1.intoArray(c, o6 + L); c7_0.intoArray(c, o7); c7_1.intoArray(c, o7 + L);
    }

    static void fusedAdd8x2(int kc, float[] pa, int ao, float[] pb, int bo, float[] c, int co, int ldc, boolean add, float alpha) {
        jdk.incubator.vector.FloatVector z = jdk.incubator.vector.FloatVector.zero(S);
        jdk.incubator.vector.FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z, c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        for (int p = 0; p < kc; p++, ao += 8, bo += 2 * L) {
            var b0 = jdk.incubator.vector.FloatVector.fromArray(S, pb, bo);
            var b1 = jdk.incubator.vector.FloatVector.fromArray(S, pb, bo + L);
            var a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = jdk.incubator.vector.FloatVector.broadcast(S, pa[ao + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
        }
        var al = jdk.incubator.vector.FloatVector.broadcast(S, alpha);
        int o0 = co, o1 = co + ldc, o2 = co + 2 * ldc, o3 = co + 3 * ldc, o4 = co + 4 * ldc, o5 = co + 5 * ldc, o6 = co + 6 * ldc, o7 = co + 7 * ldc;
        if (add) {
            c0_0 = c0_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o0)); c0_1 = c0_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o0 + L));
            c1_0 = c1_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o1)); c1_1 = c1_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o1 + L));
            c2_0 = c2_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o2)); c2_1 = c2_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o2 + L));
            c3_0 = c3_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o3)); c3_1 = c3_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o3 + L));
            c4_0 = c4_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o4)); c4_1 = c4_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o4 + L));
            c5_0 = c5_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o5)); c5_1 = c5_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o5 + L));
            c6_0 = c6_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o6)); c6_1 = c6_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o6 + L));
            c7_0 = c7_0.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o7)); c7_1 = c7_1.fma(al, jdk.incubator.vector.FloatVector.fromArray(S, c, o7 + L));
        } else {
            c0_0 = c0_0.mul(al); c0_1 = c0_1.mul(al); c1_0 = c1_0.mul(al); c1_1 = c1_1.mul(al);
            c2_0 = c2_0.mul(al); c2_1 = c2_1.mul(al); c3_0 = c3_0.mul(al); c3_1 = c3_1.mul(al);
            c4_0 = c4_0.mul(al); c4_1 = c4_1.mul(al); c5_0 = c5_0.mul(al); c5_1 = c5_1.mul(al);
            c6_0 = c6_0.mul(al); c6_1 = c6_1.mul(al); c7_0 = c7_0.mul(al); c7_1 = c7_1.mul(al);
        }
        c0_0.intoArray(c, o0); c0_1.intoArray(c, o0 + L); c1_0.intoArray(c, o1); c1_1.intoArray(c, o1 + L);
        c2_0.intoArray(c, o2); c2_1.intoArray(c, o2 + L); c3_0.intoArray(c, o3); c3_1.intoArray(c, o3 + L);
        c4_0.intoArray(c, o4); c4_1.intoArray(c, o4 + L); c5_0.intoArray(c, o5); c5_1.intoArray(c, o5 + L);
        c6_0.intoArray(c, o6); c6_1.intoArray(c, o6 + L); c7_0.intoArray(c, o7); c7_1.intoArray(c, o7 + L);
    }

    /** One float from each cache line of C's rows [0, rows), columns [0, cols) at c[co + r*ldc]. */
    static float touch(float[] c, int co, int ldc, int rows, int cols) {
        float s = 0;
        for (int r = 0; r < rows; r++) {
            int o = co + r * ldc;
            s += c[o] + c[o + Math.min(15, cols - 1)] + c[o + cols - 1];
        }
        return s;
    }
}
