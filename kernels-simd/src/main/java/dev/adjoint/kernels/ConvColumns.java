package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link Conv.Path#SMALL_COUT} forward: convs with fewer output channels than a vector holds
 * (LeNet's 1->6 first layer and the 16->6 input gradient of its second), vectorized along the
 * output columns instead of the output channels. x is staged per batch entry as {@link ConvPlanes};
 * a micro-kernel keeps 4 output rows x 3 output channels of column vectors in registers over the
 * whole (tap, input channel) list: per entry 4 column-vector loads and 3 broadcast kernel scalars
 * for 12 FMAs (the channel-blocked kernel used 6 of its 32 lanes for Cout = 6). The vectors are
 * written to y[.., column, channel] through a small tile.
 *
 * <p>Work is split over (batch entry, block of 4 output rows); a chunk stages the entry it is on
 * when the entry changes. Each output element is one FMA chain over the list in a fixed order,
 * whichever block or chunk computes it, so results do not depend on the thread count.
 */
final class ConvColumns {
    private ConvColumns() {}

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    /** Output rows and output channels per micro-kernel block. */
    static final int R = 4, C = 3;

    /** Work units of a call: batch entries x blocks of R output rows. */
    static int units(ConvWorkspace w) { return w.geometry.batch * ((w.planes.Ho + R - 1) / R); }

    /** The kernel as [tap][ci][Cout] (the list's order), read through the layout. */
    static void table(ConvWorkspace w, float[] k, int kOff, ConvKernelLayout kl) {
        ConvGeometry g = w.geometry;
        int taps = (int) g.taps(), cin = g.cin, cout = g.cout;
        float[] t = w.colTable;
        int base = kOff + kl.offset;
        for (int tp = 0, d = 0; tp < taps; tp++)
            for (int ci = 0; ci < cin; ci++)
                for (int co = 0; co < cout; co++) t[d++] = k[base + tp * kl.tapStride + ci * kl.inStride + co * kl.outStride];
    }

    /** Runs units [u0, u1) of the call set in {@code w} on chunk {@code ci}'s buffers. */
    static void runChunk(ConvWorkspace w, int ci, int u0, int u1) {
        ConvPlanes p = w.planes;
        ConvGeometry g = w.geometry;
        int Ho = p.Ho, Wo = p.Wo, blocks = (Ho + R - 1) / R, cout = g.cout, groups = (cout + C - 1) / C;
        int rowY = Wo * cout, nvec = p.wv / L, nt = p.rowOff.length;
        float[] xs = w.colX[ci], tab = w.colTable, y = w.y, tile = w.colTile[ci];
        int[] ro = p.rowOff;
        int staged = -1;
        for (int u = u0; u < u1; u++) {
            int n = u / blocks, h0 = (u % blocks) * R, P = Math.min(R, Ho - h0);
            if (n != staged) { p.stage(w.x, w.xOff, n, xs); staged = n; }
            int yb = w.yOff + (n * Ho + h0) * rowY;
            for (int cg = 0; cg < groups; cg++) {
                int c0 = cg * C, c1 = Math.min(c0 + 1, cout - 1), c2 = Math.min(c0 + 2, cout - 1), nc = Math.min(C, cout - c0);
                for (int v = 0; v < nvec; v++) {
                    mk4x3(xs, h0 * p.rowX + v * L, p.rowX, ro, nt, tab, cout, c0, c1, c2, P, tile);
                    int w0 = v * L, nw = Math.min(L, Wo - w0);
                    for (int r = 0; r < P; r++)
                        for (int c = 0; c < nc; c++) {
                            int src = (r * C + c) * L, dst = yb + r * rowY + w0 * cout + c0 + c;
                            for (int l = 0; l < nw; l++, dst += cout) y[dst] = tile[src + l];
                        }
                }
            }
            if (w.epilogue != null) ConvSimd.epilogue(w, yb, P * rowY);
        }
    }

    /**
     * 4 output rows x 3 output channels (c0..c2, repeated when Cout is short) of one column vector,
     * over the whole list; rows past P recompute row P-1. Results to {@code tile[row][channel][L]}.
     */
    private static void mk4x3(float[] x, int xb, int xrs, int[] ro, int nt, float[] k, int cout, int c0, int c1, int c2,
                              int P, float[] tile) {
        FloatVector a00 = FloatVector.zero(SP), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
        int x1 = Math.min(1, P - 1) * xrs, x2 = Math.min(2, P - 1) * xrs, x3 = (P - 1) * xrs;
        for (int e = 0, kb = 0; e < nt; e++, kb += cout) {
            int xo = xb + ro[e];
            FloatVector b0 = FloatVector.broadcast(SP, k[kb + c0]), b1 = FloatVector.broadcast(SP, k[kb + c1]),
                    b2 = FloatVector.broadcast(SP, k[kb + c2]);
            FloatVector v = FloatVector.fromArray(SP, x, xo);
            a00 = v.fma(b0, a00); a01 = v.fma(b1, a01); a02 = v.fma(b2, a02);
            v = FloatVector.fromArray(SP, x, xo + x1);
            a10 = v.fma(b0, a10); a11 = v.fma(b1, a11); a12 = v.fma(b2, a12);
            v = FloatVector.fromArray(SP, x, xo + x2);
            a20 = v.fma(b0, a20); a21 = v.fma(b1, a21); a22 = v.fma(b2, a22);
            v = FloatVector.fromArray(SP, x, xo + x3);
            a30 = v.fma(b0, a30); a31 = v.fma(b1, a31); a32 = v.fma(b2, a32);
        }
        a00.intoArray(tile, 0); a01.intoArray(tile, L); a02.intoArray(tile, 2 * L);
        a10.intoArray(tile, 3 * L); a11.intoArray(tile, 4 * L); a12.intoArray(tile, 5 * L);
        a20.intoArray(tile, 6 * L); a21.intoArray(tile, 7 * L); a22.intoArray(tile, 8 * L);
        a30.intoArray(tile, 9 * L); a31.intoArray(tile, 10 * L); a32.intoArray(tile, 11 * L);
    }
}
