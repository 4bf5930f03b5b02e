package dev.adjoint.kernels;
import java.lang.management.*;
import java.util.Arrays;
import jdk.incubator.vector.*;
/** one-array read rate: VecBlockOps.sum in 2032 blocks (the kernel's shape) vs 8 accumulators vs one whole-array 4-acc loop, against mismatch of two arrays */
public class RProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512; static final int L = 16; static int[] BS;
    static float sum8(float[] x, int n) {
        FloatVector z = FloatVector.zero(S), a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        for (int i = 0; i + 8 * L <= n; i += 8 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, i)); a1 = a1.add(FloatVector.fromArray(S, x, i + L));
            a2 = a2.add(FloatVector.fromArray(S, x, i + 2 * L)); a3 = a3.add(FloatVector.fromArray(S, x, i + 3 * L));
            a4 = a4.add(FloatVector.fromArray(S, x, i + 4 * L)); a5 = a5.add(FloatVector.fromArray(S, x, i + 5 * L));
            a6 = a6.add(FloatVector.fromArray(S, x, i + 6 * L)); a7 = a7.add(FloatVector.fromArray(S, x, i + 7 * L));
        }
        return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).reduceLanes(VectorOperators.ADD);
    }
    static float sum2arr(float[] x, float[] y, int n) {
        FloatVector z = FloatVector.zero(S), a0 = z, a1 = z, a2 = z, a3 = z;
        for (int i = 0; i + 2 * L <= n; i += 2 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, i)); a1 = a1.add(FloatVector.fromArray(S, x, i + L));
            a2 = a2.add(FloatVector.fromArray(S, y, i)); a3 = a3.add(FloatVector.fromArray(S, y, i + L));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
    public static void main(String[] a) {
        int n = 1 << 24, rounds = Integer.parseInt(a[0]);
        float[] x = new float[n], x2; for (int i = 0; i < n; i++) x[i] = i % 7; x2 = x.clone();
        float[] ln = new float[64];
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        BS = Arrays.stream(a).skip(1).mapToInt(Integer::parseInt).toArray(); int K = 2 + BS.length; double[][] t = new double[K][rounds]; double sink = 0;
        for (int r = 0; r < rounds + 3; r++) for (int j = 0; j < K; j++) {
            long c0 = tm.getCurrentThreadCpuTime();
            switch (j) {
                case 0 -> sink += Arrays.mismatch(x, x2);
                case 1 -> { double s = 0; for (int b = 0; b < n; b += 2032) s += VecBlockOps.sum(x, b, Math.min(2032, n - b), ln); sink += s; }
                default -> { int B = BS[j - 2]; double s = 0; for (int b = 0; b < n; b += B) s += VecBlockOps.sum(x, b, Math.min(B, n - b), ln); sink += s; }
            }
            long c1 = tm.getCurrentThreadCpuTime();
            if (r >= 3) t[j][r - 3] = (c1 - c0) / 1e6;
        }
        double rd = 128 * 1.048576 / med(t[0]);
        System.out.printf("load %.2f mismatch %.1f GB/s; blocks2032 %.2f;", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), rd, 64 * 1.048576 / med(t[1]) / rd);
        for (int j = 2; j < K; j++) System.out.printf(" %d: %.2f;", BS[j - 2], 64 * 1.048576 / med(t[j]) / rd);
        System.out.println(sink == 0 ? "" : " ");
    }
    static double med(double[] a) { double[] s = a.clone(); Arrays.sort(s); return s[s.length / 2]; }
}
