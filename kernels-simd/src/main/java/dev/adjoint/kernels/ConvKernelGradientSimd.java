package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API half of {@link ConvKernelGradient} (only called when {@link Simd#ENABLED}):
 * staging, the 4 x 3 micro-kernel, and the ordered lane and piece reduction.
 */
final class ConvKernelGradientSimd {
    private ConvKernelGradientSimd() {}

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final int R = ConvKernelGradient.ROWS, C = ConvKernelGradient.CHANS;

    /** Sums batch entries [p*N/P, (p+1)*N/P) into piece p's vector accumulators. */
    static void piece(ConvKernelGradient kg, int p) {
        ConvGeometry g = kg.geometry;
        int n0 = (int) ((long) p * g.batch / kg.pieces), n1 = (int) ((long) (p + 1) * g.batch / kg.pieces);
        float[] acc = kg.acc[p], xs = kg.xs[p], dys = kg.dys[p];
        java.util.Arrays.fill(acc, 0, kg.accLen, 0f);
        int m = kg.rowOff.length, cout = g.cout, blk = R * C * L;
        int rowX = kg.sH * kg.sW * kg.up, nvec = kg.wv / L;
        int[] ro = kg.rowOff;
        for (int n = n0; n < n1; n++) {
            stage(kg, n, xs, dys);
            for (int rb = 0; rb < kg.rowBlocks; rb++) {
                int e = rb * R;
                int x0 = ro[e], x1 = ro[Math.min(e + 1, m - 1)], x2 = ro[Math.min(e + 2, m - 1)], x3 = ro[Math.min(e + 3, m - 1)];
                for (int cg = 0; cg < kg.chanGroups; cg++) {
                    int c = cg * C, wv = kg.wv, plane = kg.Ho * wv;
                    int d0 = c * plane, d1 = Math.min(c + 1, cout - 1) * plane, d2 = Math.min(c + 2, cout - 1) * plane;
                    mk4x3(xs, x0, x1, x2, x3, dys, d0, d1, d2, rowX, wv, kg.Ho, nvec, acc, (rb * kg.chanGroups + cg) * blk);
                }
            }
        }
    }

    /** Stages batch entry n: x as zero-padded phase planes [ci][row][phase][column], dy as planes [co][row][column] padded with zeros. */
    private static void stage(ConvKernelGradient kg, int n, float[] xs, float[] dys) {
        ConvGeometry g = kg.geometry;
        float[] x = kg.x, dy = kg.dy;
        int cout = g.cout;
        kg.planes.stage(x, kg.xOff, n, xs);
        int Ho = kg.Ho, Wo = kg.Wo, wv = kg.wv;
        int dn = kg.dyOff + n * Ho * Wo * cout;
        for (int oh = 0; oh < Ho; oh++) {
            int src = dn + oh * Wo * cout;
            for (int co = 0; co < cout; co++) {
                int d = (co * Ho + oh) * wv;
                for (int w = 0; w < Wo; w++) dys[d + w] = dy[src + w * cout + co];
                for (int w = Wo; w < wv; w++) dys[d + w] = 0f;
            }
        }
    }

    /**
     * 4 (tap, ci) rows x 3 output channels of vector accumulators over every output row and
     * column vector of one staged entry; continues the sums in {@code acc} from {@code aOff}.
     */
    private static void mk4x3(float[] xs, int x0, int x1, int x2, int x3, float[] dys, int d0, int d1, int d2,
                              int rowX, int wv, int Ho, int nvec, float[] acc, int aOff) {
        FloatVector a00 = FloatVector.fromArray(SP, acc, aOff), a01 = FloatVector.fromArray(SP, acc, aOff + L),
                a02 = FloatVector.fromArray(SP, acc, aOff + 2 * L), a10 = FloatVector.fromArray(SP, acc, aOff + 3 * L),
                a11 = FloatVector.fromArray(SP, acc, aOff + 4 * L), a12 = FloatVector.fromArray(SP, acc, aOff + 5 * L),
                a20 = FloatVector.fromArray(SP, acc, aOff + 6 * L), a21 = FloatVector.fromArray(SP, acc, aOff + 7 * L),
                a22 = FloatVector.fromArray(SP, acc, aOff + 8 * L), a30 = FloatVector.fromArray(SP, acc, aOff + 9 * L),
                a31 = FloatVector.fromArray(SP, acc, aOff + 10 * L), a32 = FloatVector.fromArray(SP, acc, aOff + 11 * L);
        for (int oh = 0; oh < Ho; oh++) {
            int xb = oh * rowX, db = oh * wv;
            for (int v = 0, j = 0; v < nvec; v++, j += L) {
                FloatVector e0 = FloatVector.fromArray(SP, dys, d0 + db + j), e1 = FloatVector.fromArray(SP, dys, d1 + db + j),
                        e2 = FloatVector.fromArray(SP, dys, d2 + db + j);
                FloatVector v0 = FloatVector.fromArray(SP, xs, x0 + xb + j);
                a00 = v0.fma(e0, a00); a01 = v0.fma(e1, a01); a02 = v0.fma(e2, a02);
                FloatVector v1 = FloatVector.fromArray(SP, xs, x1 + xb + j);
                a10 = v1.fma(e0, a10); a11 = v1.fma(e1, a11); a12 = v1.fma(e2, a12);
                FloatVector v2 = FloatVector.fromArray(SP, xs, x2 + xb + j);
                a20 = v2.fma(e0, a20); a21 = v2.fma(e1, a21); a22 = v2.fma(e2, a22);
                FloatVector v3 = FloatVector.fromArray(SP, xs, x3 + xb + j);
                a30 = v3.fma(e0, a30); a31 = v3.fma(e1, a31); a32 = v3.fma(e2, a32);
            }
        }
        a00.intoArray(acc, aOff); a01.intoArray(acc, aOff + L); a02.intoArray(acc, aOff + 2 * L);
        a10.intoArray(acc, aOff + 3 * L); a11.intoArray(acc, aOff + 4 * L); a12.intoArray(acc, aOff + 5 * L);
        a20.intoArray(acc, aOff + 6 * L); a21.intoArray(acc, aOff + 7 * L); a22.intoArray(acc, aOff + 8 * L);
        a30.intoArray(acc, aOff + 9 * L); a31.intoArray(acc, aOff + 10 * L); a32.intoArray(acc, aOff + 11 * L);
    }

    /** dk[ci][t][co] = sum over pieces in order of (sum over lanes in order): the same order at any thread count. */
    static void reduce(ConvKernelGradient kg, float[] dk, int dkOff) {
        ConvGeometry g = kg.geometry;
        int cin = g.cin, cout = g.cout, taps = (int) g.taps(), blk = R * C * L;
        for (int t = 0; t < taps; t++)
            for (int ci = 0; ci < cin; ci++) {
                int e = t * cin + ci, rb = e / R, r = e % R;
                for (int co = 0; co < cout; co++) {
                    int cg = co / C, c = co % C;
                    int a = (rb * kg.chanGroups + cg) * blk + (r * C + c) * L;
                    float s = 0f;
                    for (int p = 0; p < kg.pieces; p++) {
                        float[] acc = kg.acc[p];
                        float ls = 0f;
                        for (int l = 0; l < L; l++) ls += acc[a + l];
                        s += ls;
                    }
                    dk[dkOff + (ci * taps + t) * cout + co] = s;
                }
            }
    }
}
