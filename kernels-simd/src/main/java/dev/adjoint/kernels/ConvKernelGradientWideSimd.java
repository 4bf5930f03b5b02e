package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API half of {@link ConvKernelGradientWide} (only called when {@link Simd#ENABLED}):
 * staging, the 6 x 4 (Cout a multiple of 4 vectors, 32 registers), 8 x 2 and 4 x 2 micro-kernels,
 * and the ordered piece reduction.
 */
final class ConvKernelGradientWideSimd {
    private ConvKernelGradientWideSimd() {}

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    /** Output channels per tile: two vectors. */
    static final int BLOCK = 2 * L;
    /**
     * (tap, ci) rows per tile, from the register count as for the forward ({@link ConvSimd#ROWS}):
     * 8 x 2 accumulators + 2 dy vectors + a broadcast with 32 registers, 4 x 2 with 16.
     */
    static final int ROWS = ConvSimd.REGISTERS >= 32 ? 8 : 4;

    /** Sums units [p*U/P, (p+1)*U/P) into piece p's accumulators. */
    static void piece(ConvKernelGradientWide kg, int p) {
        ConvGeometry g = kg.geometry;
        int u0 = (int) ((long) p * kg.units / kg.pieces), u1 = (int) ((long) (p + 1) * kg.units / kg.pieces);
        float[] acc = kg.acc[p], st = kg.stage[p], dy = kg.dy;
        java.util.Arrays.fill(acc, 0, kg.accLen, 0f);
        int cin = g.cin, cout = g.cout, m = kg.rowOff.length, Ho = kg.Ho, Wo = kg.Wo;
        int[] ro = kg.rowOff, pos = kg.positionOff;
        for (int u = u0; u < u1; u++) {
            int n = u / kg.unitsPerEntry, oh0 = (u % kg.unitsPerEntry) * kg.rowsPerUnit, rows = Math.min(kg.rowsPerUnit, Ho - oh0);
            stage(kg, n, oh0, rows, st);
            int db = kg.dyOff + (n * Ho + oh0) * Wo * cout;
            if (ROWS == 8 && cout % (4 * L) == 0) {
                // 4-vector tiles (mk6x4c): 4 vectors of output channels (64 on AVX-512) in one tile, so x is read once
                // per unit, not once per 2-vector half, and each call does 24 FMAs per position on
                // 4 dy loads and 6 broadcasts (16 on 2 and 8 with 2-vector tiles) for its fixed
                // cost (accumulators loaded and stored, a loop of a unit's positions). Measured,
                // dk alone, thread CPU, interleaved: B 15.3 -> 12.9 ms, A 2.04 -> 1.78, C 4.50 ->
                // 3.76 (docs/perf/conv.md wave 8). Per tap, its Cin channels as tiles of 6 and then
                // 4 rows (32 = 6+6+6+6+4+4, 64 = 10 x 6 + 4); an odd channel left over runs through
                // the 2-vector tiles. Each dk element is still summed over the unit's positions in
                // order from its accumulator, so the result is bitwise the 2-vector tiles' result.
                int six = cin / 6, four = 0;
                if (cin % 6 == 4 || cin % 6 == 5) four = 1;
                else if (six > 0 && (cin % 6 == 2 || cin % 6 == 3)) { six--; four = 2; }
                int np = rows * Wo, tail = cin - 6 * six - 4 * four;
                for (int c0 = 0; c0 < cout; c0 += 4 * L)
                    for (int t = 0; t < m; t += cin) {
                        int e = t;
                        for (int i = 0; i < six; i++, e += 6) mk6x4c(st, ro[e], pos, np, dy, db + c0, cout, acc, e * cout + c0);
                        for (int i = 0; i < four; i++, e += 4) mk4x4c(st, ro[e], pos, np, dy, db + c0, cout, acc, e * cout + c0);
                        if (tail > 0)
                            for (int c = c0; c < c0 + 4 * L; c += BLOCK) mk4x2(st, ro, e, tail, pos, np, dy, db + c, cout, acc, e * cout + c);
                    }
                continue;
            }
            if (cin % ROWS == 0) {
                // The tile's rows are ROWS consecutive channels of one tap: consecutive x offsets.
                for (int c0 = 0; c0 < cout; c0 += BLOCK)
                    for (int e = 0; e < m; e += ROWS)
                        if (ROWS == 8) mk8x2c(st, ro[e], pos, rows * Wo, dy, db + c0, cout, acc, e * cout + c0);
                        else mk4x2c(st, ro[e], pos, rows * Wo, dy, db + c0, cout, acc, e * cout + c0);
                continue;
            }
            for (int c0 = 0; c0 < cout; c0 += BLOCK)
                for (int e = 0; e < m; ) {
                    int left = m - e;
                    if (ROWS == 8 && left > 4) {
                        int nr = Math.min(8, left);
                        mk8x2(st, ro, e, nr, pos, rows * Wo, dy, db + c0, cout, acc, e * cout + c0);
                        e += nr;
                    } else {
                        int nr = Math.min(4, left);
                        mk4x2(st, ro, e, nr, pos, rows * Wo, dy, db + c0, cout, acc, e * cout + c0);
                        e += nr;
                    }
                }
        }
    }

    /**
     * Stages the input rows that output rows [oh0, oh0 + rows) of entry n read: staged row r, column
     * u holds x[n, oh0*sH - loH + r, u - loW, :], zero outside the input (padding, and the columns
     * a negative padding crops).
     */
    private static void stage(ConvKernelGradientWide kg, int n, int oh0, int rows, float[] st) {
        ConvGeometry g = kg.geometry;
        float[] x = kg.x;
        int cin = g.cin, H = kg.H, W = kg.W, loW = kg.loW, cols = kg.stageCols, rowLen = cols * cin;
        int u0 = Math.max(0, loW), u1 = Math.min(cols, W + loW);
        int ih0 = oh0 * kg.sH - kg.loH, nr = (rows - 1) * kg.sH + (kg.KH - 1) * kg.dH + 1;
        for (int r = 0; r < nr; r++) {
            int ih = ih0 + r, base = r * rowLen;
            if (ih < 0 || ih >= H || u1 <= u0) { java.util.Arrays.fill(st, base, base + rowLen, 0f); continue; }
            java.util.Arrays.fill(st, base, base + u0 * cin, 0f);
            System.arraycopy(x, kg.xOff + ((n * H + ih) * W + (u0 - loW)) * cin, st, base + u0 * cin, (u1 - u0) * cin);
            java.util.Arrays.fill(st, base + u1 * cin, base + rowLen, 0f);
        }
    }

    /**
     * (tap, ci) rows e .. e+nr-1 (nr in 1..8; rows past nr recompute the last one and are not
     * stored) x 2 vectors of output channels, over the unit's {@code rows} x {@code Wo} positions;
     * continues the sums in {@code acc} from {@code aOff} (row stride {@code cout}).
     */
    private static void mk8x2(float[] xs, int[] ro, int e, int nr, int[] pos, int np,
                              float[] dy, int db, int cout, float[] acc, int aOff) {
        int l = nr - 1;
        int o0 = ro[e], o1 = ro[e + Math.min(1, l)], o2 = ro[e + Math.min(2, l)], o3 = ro[e + Math.min(3, l)],
            o4 = ro[e + Math.min(4, l)], o5 = ro[e + Math.min(5, l)], o6 = ro[e + Math.min(6, l)], o7 = ro[e + l];
        int q0 = aOff, q1 = aOff + Math.min(1, l) * cout, q2 = aOff + Math.min(2, l) * cout, q3 = aOff + Math.min(3, l) * cout,
            q4 = aOff + Math.min(4, l) * cout, q5 = aOff + Math.min(5, l) * cout, q6 = aOff + Math.min(6, l) * cout, q7 = aOff + l * cout;
        FloatVector a00 = FloatVector.fromArray(SP, acc, q0), a01 = FloatVector.fromArray(SP, acc, q0 + L);
        FloatVector a10 = FloatVector.fromArray(SP, acc, q1), a11 = FloatVector.fromArray(SP, acc, q1 + L);
        FloatVector a20 = FloatVector.fromArray(SP, acc, q2), a21 = FloatVector.fromArray(SP, acc, q2 + L);
        FloatVector a30 = FloatVector.fromArray(SP, acc, q3), a31 = FloatVector.fromArray(SP, acc, q3 + L);
        FloatVector a40 = FloatVector.fromArray(SP, acc, q4), a41 = FloatVector.fromArray(SP, acc, q4 + L);
        FloatVector a50 = FloatVector.fromArray(SP, acc, q5), a51 = FloatVector.fromArray(SP, acc, q5 + L);
        FloatVector a60 = FloatVector.fromArray(SP, acc, q6), a61 = FloatVector.fromArray(SP, acc, q6 + L);
        FloatVector a70 = FloatVector.fromArray(SP, acc, q7), a71 = FloatVector.fromArray(SP, acc, q7 + L);
        for (int p = 0, d = db; p < np; p++, d += cout) {
            int xb = pos[p];
            {
                FloatVector e0 = FloatVector.fromArray(SP, dy, d), e1 = FloatVector.fromArray(SP, dy, d + L);
                FloatVector b = FloatVector.broadcast(SP, xs[xb + o0]);
                a00 = b.fma(e0, a00); a01 = b.fma(e1, a01);
                b = FloatVector.broadcast(SP, xs[xb + o1]);
                a10 = b.fma(e0, a10); a11 = b.fma(e1, a11);
                b = FloatVector.broadcast(SP, xs[xb + o2]);
                a20 = b.fma(e0, a20); a21 = b.fma(e1, a21);
                b = FloatVector.broadcast(SP, xs[xb + o3]);
                a30 = b.fma(e0, a30); a31 = b.fma(e1, a31);
                b = FloatVector.broadcast(SP, xs[xb + o4]);
                a40 = b.fma(e0, a40); a41 = b.fma(e1, a41);
                b = FloatVector.broadcast(SP, xs[xb + o5]);
                a50 = b.fma(e0, a50); a51 = b.fma(e1, a51);
                b = FloatVector.broadcast(SP, xs[xb + o6]);
                a60 = b.fma(e0, a60); a61 = b.fma(e1, a61);
                b = FloatVector.broadcast(SP, xs[xb + o7]);
                a70 = b.fma(e0, a70); a71 = b.fma(e1, a71);
            }
        }
        a00.intoArray(acc, q0); a01.intoArray(acc, q0 + L);
        if (nr > 1) { a10.intoArray(acc, q1); a11.intoArray(acc, q1 + L); }
        if (nr > 2) { a20.intoArray(acc, q2); a21.intoArray(acc, q2 + L); }
        if (nr > 3) { a30.intoArray(acc, q3); a31.intoArray(acc, q3 + L); }
        if (nr > 4) { a40.intoArray(acc, q4); a41.intoArray(acc, q4 + L); }
        if (nr > 5) { a50.intoArray(acc, q5); a51.intoArray(acc, q5 + L); }
        if (nr > 6) { a60.intoArray(acc, q6); a61.intoArray(acc, q6 + L); }
        if (nr > 7) { a70.intoArray(acc, q7); a71.intoArray(acc, q7 + L); }
    }

    /** As {@link #mk8x2} with 4 rows (nr in 1..4): the 16-register tile, and the 32-register tile's short tail. */
    private static void mk4x2(float[] xs, int[] ro, int e, int nr, int[] pos, int np,
                              float[] dy, int db, int cout, float[] acc, int aOff) {
        int l = nr - 1;
        int o0 = ro[e], o1 = ro[e + Math.min(1, l)], o2 = ro[e + Math.min(2, l)], o3 = ro[e + l];
        int q0 = aOff, q1 = aOff + Math.min(1, l) * cout, q2 = aOff + Math.min(2, l) * cout, q3 = aOff + l * cout;
        FloatVector a00 = FloatVector.fromArray(SP, acc, q0), a01 = FloatVector.fromArray(SP, acc, q0 + L);
        FloatVector a10 = FloatVector.fromArray(SP, acc, q1), a11 = FloatVector.fromArray(SP, acc, q1 + L);
        FloatVector a20 = FloatVector.fromArray(SP, acc, q2), a21 = FloatVector.fromArray(SP, acc, q2 + L);
        FloatVector a30 = FloatVector.fromArray(SP, acc, q3), a31 = FloatVector.fromArray(SP, acc, q3 + L);
        for (int p = 0, d = db; p < np; p++, d += cout) {
            int xb = pos[p];
            {
                FloatVector e0 = FloatVector.fromArray(SP, dy, d), e1 = FloatVector.fromArray(SP, dy, d + L);
                FloatVector b = FloatVector.broadcast(SP, xs[xb + o0]);
                a00 = b.fma(e0, a00); a01 = b.fma(e1, a01);
                b = FloatVector.broadcast(SP, xs[xb + o1]);
                a10 = b.fma(e0, a10); a11 = b.fma(e1, a11);
                b = FloatVector.broadcast(SP, xs[xb + o2]);
                a20 = b.fma(e0, a20); a21 = b.fma(e1, a21);
                b = FloatVector.broadcast(SP, xs[xb + o3]);
                a30 = b.fma(e0, a30); a31 = b.fma(e1, a31);
            }
        }
        a00.intoArray(acc, q0); a01.intoArray(acc, q0 + L);
        if (nr > 1) { a10.intoArray(acc, q1); a11.intoArray(acc, q1 + L); }
        if (nr > 2) { a20.intoArray(acc, q2); a21.intoArray(acc, q2 + L); }
        if (nr > 3) { a30.intoArray(acc, q3); a31.intoArray(acc, q3 + L); }
    }

    /**
     * As {@link #mk8x2} for 8 rows at consecutive x offsets (8 channels of one tap, Cin a multiple
     * of 8): the broadcasts read x[xb + o + 0..7], constant offsets from one index, whose bounds
     * checks C2 merges into one pair, where 8 independent offsets cost 8 checks per position.
     */
    private static void mk8x2c(float[] xs, int o, int[] pos, int np, float[] dy, int db, int cout, float[] acc, int aOff) {
        int q0 = aOff, q1 = q0 + cout, q2 = q1 + cout, q3 = q2 + cout, q4 = q3 + cout, q5 = q4 + cout, q6 = q5 + cout, q7 = q6 + cout;
        FloatVector a00 = FloatVector.fromArray(SP, acc, q0), a01 = FloatVector.fromArray(SP, acc, q0 + L);
        FloatVector a10 = FloatVector.fromArray(SP, acc, q1), a11 = FloatVector.fromArray(SP, acc, q1 + L);
        FloatVector a20 = FloatVector.fromArray(SP, acc, q2), a21 = FloatVector.fromArray(SP, acc, q2 + L);
        FloatVector a30 = FloatVector.fromArray(SP, acc, q3), a31 = FloatVector.fromArray(SP, acc, q3 + L);
        FloatVector a40 = FloatVector.fromArray(SP, acc, q4), a41 = FloatVector.fromArray(SP, acc, q4 + L);
        FloatVector a50 = FloatVector.fromArray(SP, acc, q5), a51 = FloatVector.fromArray(SP, acc, q5 + L);
        FloatVector a60 = FloatVector.fromArray(SP, acc, q6), a61 = FloatVector.fromArray(SP, acc, q6 + L);
        FloatVector a70 = FloatVector.fromArray(SP, acc, q7), a71 = FloatVector.fromArray(SP, acc, q7 + L);
        for (int p = 0, d = db; p < np; p++, d += cout) {
            int xb = pos[p] + o;
            FloatVector e0 = FloatVector.fromArray(SP, dy, d), e1 = FloatVector.fromArray(SP, dy, d + L);
            FloatVector b = FloatVector.broadcast(SP, xs[xb]);
            a00 = b.fma(e0, a00); a01 = b.fma(e1, a01);
            b = FloatVector.broadcast(SP, xs[xb + 1]);
            a10 = b.fma(e0, a10); a11 = b.fma(e1, a11);
            b = FloatVector.broadcast(SP, xs[xb + 2]);
            a20 = b.fma(e0, a20); a21 = b.fma(e1, a21);
            b = FloatVector.broadcast(SP, xs[xb + 3]);
            a30 = b.fma(e0, a30); a31 = b.fma(e1, a31);
            b = FloatVector.broadcast(SP, xs[xb + 4]);
            a40 = b.fma(e0, a40); a41 = b.fma(e1, a41);
            b = FloatVector.broadcast(SP, xs[xb + 5]);
            a50 = b.fma(e0, a50); a51 = b.fma(e1, a51);
            b = FloatVector.broadcast(SP, xs[xb + 6]);
            a60 = b.fma(e0, a60); a61 = b.fma(e1, a61);
            b = FloatVector.broadcast(SP, xs[xb + 7]);
            a70 = b.fma(e0, a70); a71 = b.fma(e1, a71);
        }
        a00.intoArray(acc, q0); a01.intoArray(acc, q0 + L); a10.intoArray(acc, q1); a11.intoArray(acc, q1 + L);
        a20.intoArray(acc, q2); a21.intoArray(acc, q2 + L); a30.intoArray(acc, q3); a31.intoArray(acc, q3 + L);
        a40.intoArray(acc, q4); a41.intoArray(acc, q4 + L); a50.intoArray(acc, q5); a51.intoArray(acc, q5 + L);
        a60.intoArray(acc, q6); a61.intoArray(acc, q6 + L); a70.intoArray(acc, q7); a71.intoArray(acc, q7 + L);
    }

    /**
     * 6 consecutive-channel rows of one tap x 4 vectors of output channels (24 accumulators + 4 dy
     * vectors + a broadcast of 32 registers), over the unit's positions, continuing the sums in
     * {@code acc} from {@code aOff}.
     */
    private static void mk6x4c(float[] xs, int o, int[] pos, int np, float[] dy, int db, int cout, float[] acc, int aOff) {
        int q0 = aOff, q1 = q0 + cout, q2 = q1 + cout, q3 = q2 + cout, q4 = q3 + cout, q5 = q4 + cout;
        int L2 = 2 * L, L3 = 3 * L;
        FloatVector a00 = FloatVector.fromArray(SP, acc, q0), a01 = FloatVector.fromArray(SP, acc, q0 + L),
            a02 = FloatVector.fromArray(SP, acc, q0 + L2), a03 = FloatVector.fromArray(SP, acc, q0 + L3);
        FloatVector a10 = FloatVector.fromArray(SP, acc, q1), a11 = FloatVector.fromArray(SP, acc, q1 + L),
            a12 = FloatVector.fromArray(SP, acc, q1 + L2), a13 = FloatVector.fromArray(SP, acc, q1 + L3);
        FloatVector a20 = FloatVector.fromArray(SP, acc, q2), a21 = FloatVector.fromArray(SP, acc, q2 + L),
            a22 = FloatVector.fromArray(SP, acc, q2 + L2), a23 = FloatVector.fromArray(SP, acc, q2 + L3);
        FloatVector a30 = FloatVector.fromArray(SP, acc, q3), a31 = FloatVector.fromArray(SP, acc, q3 + L),
            a32 = FloatVector.fromArray(SP, acc, q3 + L2), a33 = FloatVector.fromArray(SP, acc, q3 + L3);
        FloatVector a40 = FloatVector.fromArray(SP, acc, q4), a41 = FloatVector.fromArray(SP, acc, q4 + L),
            a42 = FloatVector.fromArray(SP, acc, q4 + L2), a43 = FloatVector.fromArray(SP, acc, q4 + L3);
        FloatVector a50 = FloatVector.fromArray(SP, acc, q5), a51 = FloatVector.fromArray(SP, acc, q5 + L),
            a52 = FloatVector.fromArray(SP, acc, q5 + L2), a53 = FloatVector.fromArray(SP, acc, q5 + L3);
        for (int p = 0, d = db; p < np; p++, d += cout) {
            int xb = pos[p] + o;
            FloatVector e0 = FloatVector.fromArray(SP, dy, d), e1 = FloatVector.fromArray(SP, dy, d + L),
                e2 = FloatVector.fromArray(SP, dy, d + L2), e3 = FloatVector.fromArray(SP, dy, d + L3);
            FloatVector b = FloatVector.broadcast(SP, xs[xb]);
            a00 = b.fma(e0, a00); a01 = b.fma(e1, a01); a02 = b.fma(e2, a02); a03 = b.fma(e3, a03);
            b = FloatVector.broadcast(SP, xs[xb + 1]);
            a10 = b.fma(e0, a10); a11 = b.fma(e1, a11); a12 = b.fma(e2, a12); a13 = b.fma(e3, a13);
            b = FloatVector.broadcast(SP, xs[xb + 2]);
            a20 = b.fma(e0, a20); a21 = b.fma(e1, a21); a22 = b.fma(e2, a22); a23 = b.fma(e3, a23);
            b = FloatVector.broadcast(SP, xs[xb + 3]);
            a30 = b.fma(e0, a30); a31 = b.fma(e1, a31); a32 = b.fma(e2, a32); a33 = b.fma(e3, a33);
            b = FloatVector.broadcast(SP, xs[xb + 4]);
            a40 = b.fma(e0, a40); a41 = b.fma(e1, a41); a42 = b.fma(e2, a42); a43 = b.fma(e3, a43);
            b = FloatVector.broadcast(SP, xs[xb + 5]);
            a50 = b.fma(e0, a50); a51 = b.fma(e1, a51); a52 = b.fma(e2, a52); a53 = b.fma(e3, a53);
        }
        a00.intoArray(acc, q0); a01.intoArray(acc, q0 + L); a02.intoArray(acc, q0 + L2); a03.intoArray(acc, q0 + L3);
        a10.intoArray(acc, q1); a11.intoArray(acc, q1 + L); a12.intoArray(acc, q1 + L2); a13.intoArray(acc, q1 + L3);
        a20.intoArray(acc, q2); a21.intoArray(acc, q2 + L); a22.intoArray(acc, q2 + L2); a23.intoArray(acc, q2 + L3);
        a30.intoArray(acc, q3); a31.intoArray(acc, q3 + L); a32.intoArray(acc, q3 + L2); a33.intoArray(acc, q3 + L3);
        a40.intoArray(acc, q4); a41.intoArray(acc, q4 + L); a42.intoArray(acc, q4 + L2); a43.intoArray(acc, q4 + L3);
        a50.intoArray(acc, q5); a51.intoArray(acc, q5 + L); a52.intoArray(acc, q5 + L2); a53.intoArray(acc, q5 + L3);
    }

    /** As {@link #mk6x4c} with 4 rows. */
    private static void mk4x4c(float[] xs, int o, int[] pos, int np, float[] dy, int db, int cout, float[] acc, int aOff) {
        int q0 = aOff, q1 = q0 + cout, q2 = q1 + cout, q3 = q2 + cout;
        int L2 = 2 * L, L3 = 3 * L;
        FloatVector a00 = FloatVector.fromArray(SP, acc, q0), a01 = FloatVector.fromArray(SP, acc, q0 + L),
            a02 = FloatVector.fromArray(SP, acc, q0 + L2), a03 = FloatVector.fromArray(SP, acc, q0 + L3);
        FloatVector a10 = FloatVector.fromArray(SP, acc, q1), a11 = FloatVector.fromArray(SP, acc, q1 + L),
            a12 = FloatVector.fromArray(SP, acc, q1 + L2), a13 = FloatVector.fromArray(SP, acc, q1 + L3);
        FloatVector a20 = FloatVector.fromArray(SP, acc, q2), a21 = FloatVector.fromArray(SP, acc, q2 + L),
            a22 = FloatVector.fromArray(SP, acc, q2 + L2), a23 = FloatVector.fromArray(SP, acc, q2 + L3);
        FloatVector a30 = FloatVector.fromArray(SP, acc, q3), a31 = FloatVector.fromArray(SP, acc, q3 + L),
            a32 = FloatVector.fromArray(SP, acc, q3 + L2), a33 = FloatVector.fromArray(SP, acc, q3 + L3);
        for (int p = 0, d = db; p < np; p++, d += cout) {
            int xb = pos[p] + o;
            FloatVector e0 = FloatVector.fromArray(SP, dy, d), e1 = FloatVector.fromArray(SP, dy, d + L),
                e2 = FloatVector.fromArray(SP, dy, d + L2), e3 = FloatVector.fromArray(SP, dy, d + L3);
            FloatVector b = FloatVector.broadcast(SP, xs[xb]);
            a00 = b.fma(e0, a00); a01 = b.fma(e1, a01); a02 = b.fma(e2, a02); a03 = b.fma(e3, a03);
            b = FloatVector.broadcast(SP, xs[xb + 1]);
            a10 = b.fma(e0, a10); a11 = b.fma(e1, a11); a12 = b.fma(e2, a12); a13 = b.fma(e3, a13);
            b = FloatVector.broadcast(SP, xs[xb + 2]);
            a20 = b.fma(e0, a20); a21 = b.fma(e1, a21); a22 = b.fma(e2, a22); a23 = b.fma(e3, a23);
            b = FloatVector.broadcast(SP, xs[xb + 3]);
            a30 = b.fma(e0, a30); a31 = b.fma(e1, a31); a32 = b.fma(e2, a32); a33 = b.fma(e3, a33);
        }
        a00.intoArray(acc, q0); a01.intoArray(acc, q0 + L); a02.intoArray(acc, q0 + L2); a03.intoArray(acc, q0 + L3);
        a10.intoArray(acc, q1); a11.intoArray(acc, q1 + L); a12.intoArray(acc, q1 + L2); a13.intoArray(acc, q1 + L3);
        a20.intoArray(acc, q2); a21.intoArray(acc, q2 + L); a22.intoArray(acc, q2 + L2); a23.intoArray(acc, q2 + L3);
        a30.intoArray(acc, q3); a31.intoArray(acc, q3 + L); a32.intoArray(acc, q3 + L2); a33.intoArray(acc, q3 + L3);
    }

    /** As {@link #mk8x2c} with 4 rows (the 16-register tile; Cin a multiple of 4). */
    private static void mk4x2c(float[] xs, int o, int[] pos, int np, float[] dy, int db, int cout, float[] acc, int aOff) {
        int q0 = aOff, q1 = q0 + cout, q2 = q1 + cout, q3 = q2 + cout;
        FloatVector a00 = FloatVector.fromArray(SP, acc, q0), a01 = FloatVector.fromArray(SP, acc, q0 + L);
        FloatVector a10 = FloatVector.fromArray(SP, acc, q1), a11 = FloatVector.fromArray(SP, acc, q1 + L);
        FloatVector a20 = FloatVector.fromArray(SP, acc, q2), a21 = FloatVector.fromArray(SP, acc, q2 + L);
        FloatVector a30 = FloatVector.fromArray(SP, acc, q3), a31 = FloatVector.fromArray(SP, acc, q3 + L);
        for (int p = 0, d = db; p < np; p++, d += cout) {
            int xb = pos[p] + o;
            FloatVector e0 = FloatVector.fromArray(SP, dy, d), e1 = FloatVector.fromArray(SP, dy, d + L);
            FloatVector b = FloatVector.broadcast(SP, xs[xb]);
            a00 = b.fma(e0, a00); a01 = b.fma(e1, a01);
            b = FloatVector.broadcast(SP, xs[xb + 1]);
            a10 = b.fma(e0, a10); a11 = b.fma(e1, a11);
            b = FloatVector.broadcast(SP, xs[xb + 2]);
            a20 = b.fma(e0, a20); a21 = b.fma(e1, a21);
            b = FloatVector.broadcast(SP, xs[xb + 3]);
            a30 = b.fma(e0, a30); a31 = b.fma(e1, a31);
        }
        a00.intoArray(acc, q0); a01.intoArray(acc, q0 + L); a10.intoArray(acc, q1); a11.intoArray(acc, q1 + L);
        a20.intoArray(acc, q2); a21.intoArray(acc, q2 + L); a30.intoArray(acc, q3); a31.intoArray(acc, q3 + L);
    }

    /** dk[ci][t][co] (or dk[t][ci][co]) = the pieces' sums added in piece order: the same order at any thread count. */
    static void reduce(ConvKernelGradientWide kg, float[] dk, int dkOff) {
        ConvGeometry g = kg.geometry;
        int cin = g.cin, cout = g.cout, taps = (int) g.taps(), P = kg.pieces;
        float[][] acc = kg.acc;
        for (int t = 0; t < taps; t++)
            for (int ci = 0; ci < cin; ci++) {
                int src = (t * cin + ci) * cout, dst = dkOff + (kg.tapMajor ? src : (ci * taps + t) * cout);
                for (int c = 0; c < cout; c += L) {
                    FloatVector s = FloatVector.fromArray(SP, acc[0], src + c);
                    for (int p = 1; p < P; p++) s = s.add(FloatVector.fromArray(SP, acc[p], src + c));
                    s.intoArray(dk, dst + c);
                }
            }
    }
}
