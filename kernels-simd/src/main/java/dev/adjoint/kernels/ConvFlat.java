package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link Conv.Path#SMALL_COUT} path: convs with fewer output channels than a vector holds
 * (LeNet's 1->6 first layer and the 16->6 input gradient of its second), vectorized along the
 * flattened (output column, output channel) axis of each output row; the layout is described on
 * {@link ConvFlatLayout}. Per (tap, input channel) a block of 4 output rows x 3 vectors loads its
 * 3 kernel vectors once and 12 expanded input vectors, for 12 FMAs with every lane useful.
 *
 * <p>Work is split over (batch entry, block of 4 output rows); a chunk stages (expands) the batch
 * entry it is on into its own buffer when the entry changes. Each output element is one FMA chain
 * over the tap list in a fixed order, whichever block or chunk computes it, so results do not
 * depend on the thread count.
 */
final class ConvFlat {
    private ConvFlat() {}

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final int VL = ConvFlatLayout.VECTORS * L, R = ConvFlatLayout.ROWS;

    /** Output rows of one batch entry (1 for one spatial axis). */
    private static int outRows(ConvWorkspace w) { return w.geometry.rank == 2 ? w.outS[0] : 1; }

    /** Work units of a call: batch entries x blocks of {@link ConvFlatLayout#ROWS} output rows. */
    static int units(ConvWorkspace w) { return w.geometry.batch * ((outRows(w) + R - 1) / R); }

    /**
     * The kernel table [tap][ci][VL]: entry j of (tap, ci) is k[tap][ci][j mod Cout], read
     * through the layout (so the input-gradient conv reads the forward kernel in place).
     */
    static void table(ConvWorkspace w, float[] k, int kOff, ConvKernelLayout kl) {
        ConvGeometry g = w.geometry;
        int taps = (int) g.taps(), cin = g.cin, cout = g.cout;
        float[] t = w.flatTable;
        int base = kOff + kl.offset;
        for (int tp = 0; tp < taps; tp++)
            for (int ci = 0; ci < cin; ci++) {
                int src = base + tp * kl.tapStride + ci * kl.inStride, dst = (tp * cin + ci) * VL;
                for (int j = 0; j < VL; j++) t[dst + j] = k[src + (j % cout) * kl.outStride];
            }
    }

    /** Runs units [u0, u1) of the call set in {@code w} on chunk {@code ci}'s buffers. */
    static void runChunk(ConvWorkspace w, int ci, int u0, int u1) {
        ConvFlatLayout f = w.flat;
        ConvGeometry g = w.geometry;
        int rowsOut = outRows(w), blocks = (rowsOut + R - 1) / R;
        boolean two = g.rank == 2;
        int xrs = (two ? g.stride(0) : 1) * f.rowLen(), yrs = two ? w.ys[0] : 0, F = f.flatLen();
        float[] xe = w.flatX[ci], tab = w.flatTable, y = w.y, tile = w.flatTile[ci];
        int[] tx = w.flatTx, tk = w.flatTk;
        int nt = tx.length;
        int staged = -1;
        for (int u = u0; u < u1; u++) {
            int n = u / blocks, h0 = (u % blocks) * R, P = Math.min(R, rowsOut - h0);
            if (n != staged) { stage(w, xe, n); staged = n; }
            int xb = h0 * xrs, yb = w.yOff + n * w.yN + h0 * yrs;
            int j0 = 0;
            for (; j0 + VL <= F; j0 += VL) mk4x3(xe, xb + j0, xrs, tx, tk, nt, tab, y, yb + j0, yrs, P);
            if (j0 < F) {
                // Row tail: whole vectors into a tile (the expanded planes have slack to read past the row).
                mk4x3(xe, xb + j0, xrs, tx, tk, nt, tab, tile, 0, VL, P);
                int m = F - j0;
                for (int p = 0; p < P; p++) System.arraycopy(tile, p * VL, y, yb + j0 + p * yrs, m);
            }
        }
    }

    /**
     * Expands batch entry n into {@code xe}: padded row hp, channel ci, column u holds x's element
     * repeated Cout times from {@code hp*rowLen + ci*planeLen + u*Cout}. Each element is written
     * as one whole broadcast vector, in increasing column order, so the spill past its Cout floats
     * is overwritten by the next column (or lands in the slack). Rows and columns of padding are
     * zero: padding rows are never written, right-padding columns are rewritten with zeros after
     * the spill of the last real column.
     */
    static void stage(ConvWorkspace w, float[] xe, int n) {
        ConvFlatLayout f = w.flat;
        ConvGeometry g = w.geometry;
        float[] x = w.x;
        boolean two = g.rank == 2;
        int ia = w.r - 1, cin = g.cin, cout = g.cout, plane = f.planeLen();
        int lo0 = two ? w.lo[0] : 0, H = two ? w.inS[0] : 1, xsRow = two ? w.xs[0] : 0;
        int loW = w.lo[ia], S = w.inS[ia], Wp = f.width();
        int u0 = Math.max(0, loW), u1 = Math.min(Wp, S + loW);
        FloatVector zero = FloatVector.zero(SP);
        for (int hp = 0; hp < f.rows(); hp++) {
            int ih = hp - lo0;
            if (ih < 0 || ih >= H) continue;
            int xr = w.xOff + n * w.xN + ih * xsRow, base = hp * f.rowLen();
            for (int u = u0; u < u1; u++) {
                int xo = xr + (u - loW) * cin, d = base + u * cout;
                for (int c = 0; c < cin; c++, d += plane) FloatVector.broadcast(SP, x[xo + c]).intoArray(xe, d);
            }
            for (int u = Math.max(u0, u1); u < Wp; u++)
                for (int c = 0, d = base + u * cout; c < cin; c++, d += plane) zero.intoArray(xe, d);
        }
    }

    /**
     * 4 output rows x 3 vectors of the flattened row, over the whole tap list. Rows past P
     * recompute row P-1 (clamped offsets) and are not stored.
     */
    static void mk4x3(float[] x, int xb, int xrs, int[] tx, int[] tk, int nt, float[] k,
                              float[] y, int yb, int yrs, int P) {
        FloatVector a00 = FloatVector.zero(SP), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
        int x1 = Math.min(1, P - 1) * xrs, x2 = Math.min(2, P - 1) * xrs, x3 = (P - 1) * xrs;
        for (int e = 0; e < nt; e++) {
            int xo = xb + tx[e], ko = tk[e];
            FloatVector k0 = FloatVector.fromArray(SP, k, ko), k1 = FloatVector.fromArray(SP, k, ko + L),
                    k2 = FloatVector.fromArray(SP, k, ko + 2 * L);
            a00 = FloatVector.fromArray(SP, x, xo).fma(k0, a00);
            a01 = FloatVector.fromArray(SP, x, xo + L).fma(k1, a01);
            a02 = FloatVector.fromArray(SP, x, xo + 2 * L).fma(k2, a02);
            int o = xo + x1;
            a10 = FloatVector.fromArray(SP, x, o).fma(k0, a10);
            a11 = FloatVector.fromArray(SP, x, o + L).fma(k1, a11);
            a12 = FloatVector.fromArray(SP, x, o + 2 * L).fma(k2, a12);
            o = xo + x2;
            a20 = FloatVector.fromArray(SP, x, o).fma(k0, a20);
            a21 = FloatVector.fromArray(SP, x, o + L).fma(k1, a21);
            a22 = FloatVector.fromArray(SP, x, o + 2 * L).fma(k2, a22);
            o = xo + x3;
            a30 = FloatVector.fromArray(SP, x, o).fma(k0, a30);
            a31 = FloatVector.fromArray(SP, x, o + L).fma(k1, a31);
            a32 = FloatVector.fromArray(SP, x, o + 2 * L).fma(k2, a32);
        }
        a00.intoArray(y, yb); a01.intoArray(y, yb + L); a02.intoArray(y, yb + 2 * L);
        if (P > 1) { yb += yrs; a10.intoArray(y, yb); a11.intoArray(y, yb + L); a12.intoArray(y, yb + 2 * L); }
        if (P > 2) { yb += yrs; a20.intoArray(y, yb); a21.intoArray(y, yb + L); a22.intoArray(y, yb + 2 * L); }
        if (P > 3) { yb += yrs; a30.intoArray(y, yb); a31.intoArray(y, yb + L); a32.intoArray(y, yb + 2 * L); }
    }
}
