package dev.adjoint.kernels;
import java.lang.management.*;
import java.util.Arrays;
/** 4096 x 4096 transpose in 128 x 128 blocks with row strides xs (source) and ds (dest): is the power-of-two stride the cost? */
public class PProbe {
    static void blocked(float[] x, int xs, float[] d, int ds, int N) {
        for (int A0 = 0; A0 < N; A0 += 128) for (int c0 = 0; c0 < N; c0 += 128)
            for (int a0 = A0; a0 < A0 + 128; a0 += 16) for (int b0 = c0; b0 < c0 + 128; b0 += 16)
                VecBlockOps.transposeTile(x, b0 * xs + a0, xs, d, a0 * ds + b0, ds);
    }
    public static void main(String[] a) {
        int N = 4096, rounds = Integer.parseInt(a[0]);
        int[] pads = {0, 16, 0, 16, 32, 0, 64};
        float[][] xs = new float[3][], ds = new float[3][];
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        float[] cx = new float[N * N], cd = new float[N * N];
        double[][] t = new double[pads.length + 1][rounds];
        float[][] X = new float[pads.length][], D = new float[pads.length][];
        for (int p = 0; p < pads.length; p++) { X[p] = new float[N * (N + pads[p])]; D[p] = new float[N * (N + pads[p])]; for (int i = 0; i < X[p].length; i++) X[p][i] = i; }
        for (int r = 0; r < rounds + 3; r++) for (int j = 0; j <= pads.length; j++) {
            long c0 = tm.getCurrentThreadCpuTime();
            if (j == 0) System.arraycopy(cx, 0, cd, 0, N * N); else blocked(X[j - 1], N + pads[j - 1], D[j - 1], N + pads[j - 1], N);
            long c1 = tm.getCurrentThreadCpuTime();
            if (r >= 3) t[j][r - 3] = (c1 - c0) / 1e6;
        }
        double copy = med(t[0]);
        System.out.printf("load %.2f copy %.2f ms;", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), copy);
        for (int j = 1; j <= pads.length; j++) System.out.printf(" stride %d: %.2f ms %.2f of copy;", N + pads[j - 1], med(t[j]), copy / med(t[j]));
        System.out.println();
    }
    static double med(double[] a) { double[] s = a.clone(); Arrays.sort(s); return s[s.length / 2]; }
}
