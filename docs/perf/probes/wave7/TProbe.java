package dev.adjoint.kernels;
import java.lang.management.*;
import java.util.Arrays;
public class TProbe {
    static final int T = 16;
    // generic blocked transpose of N x N (source row stride N): source aligned phase ap (a dir), dest phase bp (b dir)
    // out[a*N + b] = x[b*N + a]
    static void blocked(float[] x, float[] d, int N, int band, int bcols, int ap, int bp, boolean swap, char mode) {
        for (int A0 = 0; A0 < N; A0 += band) {
            int A1 = Math.min(N, A0 + band);
            for (int c0 = 0; c0 < N; c0 += bcols) {
                int c1 = Math.min(N, c0 + bcols);
                if (mode == 'd' || mode == 'b') sink += touch(d, N, A0, A1, c0, c1);
                if (mode == 'b') sink += touch(x, N, c0, c1, A0, A1);
                if (mode == 'N') { int n0 = c1 < N ? A0 : A0 + band, m0 = c1 < N ? c1 : 0; if (n0 < N) { sink += touch(d, N, n0, Math.min(N, n0 + band), m0, Math.min(N, m0 + bcols)); } }
                if (mode == 'M') { int n0 = c1 < N ? A0 : A0 + band, m0 = c1 < N ? c1 : 0; if (n0 < N) { sink += touch(d, N, n0, Math.min(N, n0 + band), m0, Math.min(N, m0 + bcols)); sink += touch(x, N, m0, Math.min(N, m0 + bcols), n0, Math.min(N, n0 + band)); } }
                if (mode == 'B') { buffered(x, d, N, A0, A1, c0, c1); continue; }
                if (!swap) {
                    for (int a0 = A0; a0 < A1; ) {
                        int a1 = (a0 == 0 && ap > 0) ? ap : Math.min(A1, a0 + T);
                        strip(x, d, N, a0, a1, c0, c1, bp);
                        a0 = a1;
                    }
                } else {
                    // b groups outer, a tiles inner
                    for (int b0 = c0; b0 < c1; ) {
                        int b1 = (b0 == 0 && bp > 0) ? bp : Math.min(c1, b0 + T);
                        for (int a0 = A0; a0 < A1; ) {
                            int a1 = (a0 == 0 && ap > 0) ? ap : Math.min(A1, a0 + T);
                            if (a1 - a0 == T && b1 - b0 == T) VecBlockOps.transposeTile(x, b0 * N + a0, N, d, a0 * N + b0, N);
                            else for (int b = b0; b < b1; b++) for (int a = a0; a < a1; a++) d[a * N + b] = x[b * N + a];
                            a0 = a1;
                        }
                        b0 = b1;
                    }
                }
            }
        }
    }
    static float[] buf = new float[1 << 20];
    /** copies source rows [c0,c1) x cols [A0,A1) into buf (row stride w), then transposes tiles from it */
    static void buffered(float[] x, float[] d, int N, int A0, int A1, int c0, int c1) {
        int w = A1 - A0;
        for (int b = c0; b < c1; b++) System.arraycopy(x, b * N + A0, buf, (b - c0) * w, w);
        for (int a0 = A0; a0 < A1; a0 += T) for (int b0 = c0; b0 < c1; b0 += T)
            VecBlockOps.transposeTile(buf, (b0 - c0) * w + (a0 - A0), w, d, a0 * N + b0, N);
    }
    static float sink; static boolean fake;
    static final jdk.incubator.vector.VectorSpecies<Float> S = jdk.incubator.vector.FloatVector.SPECIES_512;
    static void copyTile(float[] x, int xo, int xs, float[] d, int dO, int ds) {
        for (int r = 0; r < 16; r++) jdk.incubator.vector.FloatVector.fromArray(S, x, xo + r * xs).intoArray(d, dO + r * ds);
    }
    /** one load per 64-byte line of rows [r0, r1) x columns [c0, c1) of an N-wide array */
    static float touch(float[] a, int N, int r0, int r1, int c0, int c1) {
        float s = 0;
        for (int r = r0; r < r1; r++) { int b = r * N; for (int c = c0; c < c1; c += 16) s += a[b + c]; }
        return s;
    }
    static void strip(float[] x, float[] d, int N, int a0, int a1, int c0, int c1, int bp) {
        for (int b0 = c0; b0 < c1; ) {
            int b1 = (b0 == 0 && bp > 0) ? bp : Math.min(c1, b0 + T);
            if (a1 - a0 == T && b1 - b0 == T) { if (fake) copyTile(x, b0 * N + a0, N, d, a0 * N + b0, N); else VecBlockOps.transposeTile(x, b0 * N + a0, N, d, a0 * N + b0, N); }
            else for (int b = b0; b < b1; b++) for (int a = a0; a < a1; a++) d[a * N + b] = x[b * N + a];
            b0 = b1;
        }
    }
    public static void main(String[] args) {
        int N = 4096, rounds = Integer.parseInt(args[0]);
        String[] vs = Arrays.copyOfRange(args, 1, args.length);
        float[] x = new float[N * N], d = new float[N * N], ref = new float[N * N];
        for (int i = 0; i < x.length; i++) x[i] = i;
        int[] mat = {N, N}; int[] perm = {1, 0};
        Movement.transpose(mat, x, 0, perm, ref, 0, WorkSplitter.SERIAL);
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        int k = vs.length + 2;
        double[][] t = new double[k][rounds];
        for (int r = 0; r < rounds + 3; r++) for (int j = 0; j < k; j++) {
            long c0 = tm.getCurrentThreadCpuTime();
            if (j == 0) System.arraycopy(x, 0, d, 0, N * N);
            else if (j == 1) Movement.transpose(mat, x, 0, perm, d, 0, WorkSplitter.SERIAL);
            else {
                String[] p = vs[j - 2].split(","); fake = p[4].equals("c");
                blocked(x, d, N, Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]), p[4].equals("s"), p[4].charAt(0));
            }
            long c1 = tm.getCurrentThreadCpuTime();
            if (j >= 1 && !fake && !Arrays.equals(d, ref)) throw new AssertionError("variant " + j);
            if (r >= 3) t[j][r - 3] = (c1 - c0) / 1e6;
        }
        double copy = med(t[0]);
        System.out.printf("load %.2f copy %.2f ms (%.1f GB/s)%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), copy, 128.0 * 1.048576 / copy);
        for (int j = 1; j < k; j++) {
            double[] s = t[j].clone(); Arrays.sort(s);
            System.out.printf("%-18s %.2f ms [%.2f-%.2f] %.2f of copy%n", j == 1 ? "Movement" : vs[j - 2], med(t[j]), s[0], s[s.length - 1], copy / med(t[j]));
        }
    }
    static double med(double[] a) { double[] s = a.clone(); Arrays.sort(s); return s[s.length / 2]; }
}
