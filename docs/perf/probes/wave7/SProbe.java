package dev.adjoint.kernels;
import java.lang.management.*;
import java.util.Arrays;
import jdk.incubator.vector.*;
public class SProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512; static final int L = 16;
    /** Four runs of n floats at o0..o3, each summed exactly as VecBlockOps.sum does. */
    static void sum4(float[] x, int o0, int o1, int o2, int o3, int n, float[] lanes, float[] r, int ro) {
        FloatVector z = FloatVector.zero(S);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z, c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
        int i = 0;
        for (int ub = n - 4 * L; i <= ub; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, o0 + i)); a1 = a1.add(FloatVector.fromArray(S, x, o0 + i + L));
            a2 = a2.add(FloatVector.fromArray(S, x, o0 + i + 2 * L)); a3 = a3.add(FloatVector.fromArray(S, x, o0 + i + 3 * L));
            b0 = b0.add(FloatVector.fromArray(S, x, o1 + i)); b1 = b1.add(FloatVector.fromArray(S, x, o1 + i + L));
            b2 = b2.add(FloatVector.fromArray(S, x, o1 + i + 2 * L)); b3 = b3.add(FloatVector.fromArray(S, x, o1 + i + 3 * L));
            c0 = c0.add(FloatVector.fromArray(S, x, o2 + i)); c1 = c1.add(FloatVector.fromArray(S, x, o2 + i + L));
            c2 = c2.add(FloatVector.fromArray(S, x, o2 + i + 2 * L)); c3 = c3.add(FloatVector.fromArray(S, x, o2 + i + 3 * L));
            d0 = d0.add(FloatVector.fromArray(S, x, o3 + i)); d1 = d1.add(FloatVector.fromArray(S, x, o3 + i + L));
            d2 = d2.add(FloatVector.fromArray(S, x, o3 + i + 2 * L)); d3 = d3.add(FloatVector.fromArray(S, x, o3 + i + 3 * L));
        }
        for (int ub = S.loopBound(n); i < ub; i += L) {
            a0 = a0.add(FloatVector.fromArray(S, x, o0 + i)); b0 = b0.add(FloatVector.fromArray(S, x, o1 + i));
            c0 = c0.add(FloatVector.fromArray(S, x, o2 + i)); d0 = d0.add(FloatVector.fromArray(S, x, o3 + i));
        }
        a0.add(a1).add(a2.add(a3)).intoArray(lanes, 0);
        b0.add(b1).add(b2.add(b3)).intoArray(lanes, 16);
        c0.add(c1).add(c2.add(c3)).intoArray(lanes, 32);
        d0.add(d1).add(d2.add(d3)).intoArray(lanes, 48);
        r[ro] = fold(lanes, 0, x, o0 + i, n - i);
        r[ro + 1] = fold(lanes, 16, x, o1 + i, n - i);
        r[ro + 2] = fold(lanes, 32, x, o2 + i, n - i);
        r[ro + 3] = fold(lanes, 48, x, o3 + i, n - i);
    }
    static float fold(float[] lanes, int lo, float[] x, int t, int m) {
        for (int width = L / 2; width >= 1; width /= 2) for (int j = 0; j < width; j++) lanes[lo + j] += lanes[lo + j + width];
        float s = lanes[lo];
        for (int k = 0; k < m; k++) s += x[t + k];
        return s;
    }
    static final int BLK = 2032;
    static void rows1(float[] x, int R, int C, float[] out, float[] ln) {
        for (int r = 0; r < R; r++) { double acc = 0; for (int b = 0; b < C; b += BLK) acc += VecBlockOps.sum(x, r * C + b, Math.min(BLK, C - b), ln); out[r] = (float) acc; }
    }
    static void rows4(float[] x, int R, int C, float[] out, float[] ln, float[] t4) {
        int r = 0;
        for (; r + 4 <= R; r += 4) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int b = 0; b < C; b += BLK) {
                int o = r * C + b;
                sum4(x, o, o + C, o + 2 * C, o + 3 * C, Math.min(BLK, C - b), ln, t4, 0);
                s0 += t4[0]; s1 += t4[1]; s2 += t4[2]; s3 += t4[3];
            }
            out[r] = (float) s0; out[r + 1] = (float) s1; out[r + 2] = (float) s2; out[r + 3] = (float) s3;
        }
        for (; r < R; r++) { double acc = 0; for (int b = 0; b < C; b += BLK) acc += VecBlockOps.sum(x, r * C + b, Math.min(BLK, C - b), ln); out[r] = (float) acc; }
    }
    static void rows4far(float[] x, int R, int C, float[] out, float[] ln, float[] t4) {
        int q = R / 4;
        for (int r = 0; r < q; r++) {
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int b = 0; b < C; b += BLK) {
                int o = r * C + b;
                sum4(x, o, o + q * C, o + 2 * q * C, o + 3 * q * C, Math.min(BLK, C - b), ln, t4, 0);
                s0 += t4[0]; s1 += t4[1]; s2 += t4[2]; s3 += t4[3];
            }
            out[r] = (float) s0; out[r + q] = (float) s1; out[r + 2 * q] = (float) s2; out[r + 3 * q] = (float) s3;
        }
    }
    public static void main(String[] a) {
        int R = 4096, C = 4096, rounds = Integer.parseInt(a[0]);
        float[] x = new float[R * C], x2; for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        x2 = x.clone();
        float[] o1 = new float[R], o4 = new float[R], ln = new float[64], t4 = new float[4];
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        double[][] t = new double[4][rounds]; int sink = 0;
        for (int r = 0; r < rounds + 3; r++) for (int j = 0; j < 4; j++) {
            long c0 = tm.getCurrentThreadCpuTime();
            if (j == 0) sink += Arrays.mismatch(x, x2); else if (j == 1) rows1(x, R, C, o1, ln); else if (j == 2) rows4(x, R, C, o4, ln, t4); else rows4far(x, R, C, o4, ln, t4);
            long c1 = tm.getCurrentThreadCpuTime();
            if (r >= 3) t[j][r - 3] = (c1 - c0) / 1e6;
        }
        if (!Arrays.equals(o1, o4)) throw new AssertionError("bits differ");
        double rd = 128 * 1.048576 / med(t[0]);
        System.out.printf("load %.2f read(mismatch) %.2f ms %.1f GB/s; rows1 %.2f ms %.2f of read [%.2f-%.2f]; rows4 %.2f ms %.2f of read [%.2f-%.2f] far %.2f of read [%.2f-%.2f] sink %d%n",
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), med(t[0]), rd, med(t[1]), 64 * 1.048576 / med(t[1]) / rd, mn(t[1]), mx(t[1]), med(t[2]), 64 * 1.048576 / med(t[2]) / rd, mn(t[2]), mx(t[2]), 64 * 1.048576 / med(t[3]) / rd, mn(t[3]), mx(t[3]), sink);
    }
    static double med(double[] a) { double[] s = a.clone(); Arrays.sort(s); return s[s.length / 2]; }
    static double mn(double[] a) { return Arrays.stream(a).min().getAsDouble(); }
    static double mx(double[] a) { return Arrays.stream(a).max().getAsDouble(); }
}
