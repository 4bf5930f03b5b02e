package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f32 {@link MaxPool} kernels vectorized over the contiguous inner elements (NHWC channels),
 * with whole vectors only: masked loads and stores were neither scalar-replaced nor fast here (as
 * ConvSimd found), so there are none.
 * <ul>
 *   <li>At least one vector of channels: whole vectors over the first {@code c - c % L} channels,
 *       then one back-aligned vector ending at channel {@code c} for the rest (its first lanes
 *       blended back unchanged; they are this window's own channels, already final).</li>
 *   <li>Fewer channels than a vector (LeNet's 6 and, on AVX-512, 16 is a whole vector): one vector
 *       per window reads and writes {@code L - c} lanes past the window's channels. Those lanes belong
 *       to later windows (or taps) of the same row, which are written afterwards, in address order,
 *       by this same task; so a window is vectorized only while those lanes stay inside its row
 *       (the input row and the output row), and the last windows of each row run scalar after the
 *       vector pass. An accumulating scatter adds only in the real lanes and writes the others back
 *       unchanged.</li>
 * </ul>
 * The arg-max is tracked per lane by blends on the interpreter's rule; the scatter keeps the
 * winning tap's ordinal per lane and writes every tap in a second pass over the window. Loaded
 * only when {@link Simd#ENABLED}.
 */
final class MaxPoolSimd {
    private MaxPoolSimd() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float[] IOTA = new float[L];

    static {
        for (int i = 0; i < L; i++) IOTA[i] = i;
    }

    static void windows(MaxPool.Kind kind, WindowGeometry g, float[] x, int xb, float[] t, int tb, float[] out, int ob,
            int i0lo, int i0hi, int i1lo, int i1hi, boolean store) {
        int c = g.c(), n2 = g.out()[2];
        int cut, cv;
        if (c >= L) {
            cut = n2;
            cv = c - c % L;
        } else if (g.xs()[2] == c && g.ys()[2] == c) {
            cut = narrowWindows(g);
            cv = L;
        } else {
            MaxPool.windows(kind, g, x, xb, t, tb, out, ob, i0lo, i0hi, i1lo, i1hi, 0, n2, 0, c, store);
            return;
        }
        run(kind, g, x, xb, t, tb, out, ob, i0lo, i0hi, i1lo, i1hi, 0, cut, 0, cv, 0, store);
        if (c >= L) {
            // The channels past the last whole vector (ShuffleNet's 24 = 16 + 8): one back-aligned vector
            // ending at channel c, its first L - c % L lanes the channels the whole vectors wrote, blended
            // back unchanged (the scalar kernel there took 1.0 ms of ShuffleNet's 7).
            if (cv < c) run(kind, g, x, xb, t, tb, out, ob, i0lo, i0hi, i1lo, i1hi, 0, n2, cv, cv + 1, L - c % L, store);
        } else if (cut < n2) {
            // The last windows of each row, back-aligned: the vector ends at the window's last channel, its
            // first L - c lanes are the (final) values before it in the row, blended back unchanged.
            if (backAligned(g, cut)) run(kind, g, x, xb, t, tb, out, ob, i0lo, i0hi, i1lo, i1hi, cut, n2, 0, L, L - c, store);
            else MaxPool.windows(kind, g, x, xb, t, tb, out, ob, i0lo, i0hi, i1lo, i1hi, cut, n2, 0, c, store);
        }
    }

    /** Windows {@code [i2lo, i2hi)} along axis 2, vectors at channels {@code ch - shift} for {@code ch} in {@code [ch0, ch1)} step L. */
    private static void run(MaxPool.Kind kind, WindowGeometry g, float[] x, int xb, float[] t, int tb, float[] out, int ob,
            int i0lo, int i0hi, int i1lo, int i1hi, int i2lo, int i2hi, int ch0, int ch1, int shift, boolean store) {
        switch (kind) {
            case MAX -> max(g, x, xb, out, ob, i0lo, i0hi, i1lo, i1hi, i2lo, i2hi, ch0, ch1, shift);
            case GATHER -> gather(g, x, xb, t, tb, out, ob, i0lo, i0hi, i1lo, i1hi, i2lo, i2hi, ch0, ch1, shift);
            case SCATTER -> scatter(g, x, xb, t, tb, out, ob, i0lo, i0hi, i1lo, i1hi, i2lo, i2hi, ch0, ch1, shift, store);
        }
    }

    /** Whether windows {@code [from, n2)} along axis 2 can be read and written back-aligned: L - c lanes before them inside their rows. */
    private static boolean backAligned(WindowGeometry g, int from) {
        int c = g.c(), n2 = g.out()[2], s = g.s()[2], lo = g.lo()[2], d = g.d()[2], len = g.len()[2], k = g.k()[2], shift = L - c;
        for (int i2 = from; i2 < n2; i2++) {
            int b2 = i2 * s - lo, a2 = MaxPool.firstTap(b2, d), e2 = MaxPool.endTap(b2, d, len, k);
            if ((long) i2 * c < shift) return false;
            if (a2 < e2 && (long) (b2 + a2 * d) * c < shift) return false;
        }
        return true;
    }

    /**
     * With fewer channels than a vector: how many leading windows along axis 2 can be read and
     * written a whole vector at a time with the extra lanes inside the window's input row and output row.
     */
    private static int narrowWindows(WindowGeometry g) {
        int c = g.c(), n2 = g.out()[2], s = g.s()[2], lo = g.lo()[2], d = g.d()[2], len = g.len()[2], k = g.k()[2];
        for (int i2 = 0; i2 < n2; i2++) {
            int b2 = i2 * s - lo, e2 = MaxPool.endTap(b2, d, len, k), a2 = MaxPool.firstTap(b2, d);
            boolean outFits = (long) i2 * c + L <= (long) n2 * c;
            boolean inFits = e2 <= a2 || (long) (b2 + (e2 - 1) * d) * c + L <= (long) len * c;
            if (!outFits || !inFits) return i2;
        }
        return n2;
    }

    /**
     * The lanes holding the window's own channels, {@code [shift, shift + min(c, L))}: a compare
     * mask (made once per call) for the blends of back-aligned and accumulating writes.
     */
    private static VectorMask<Float> real(WindowGeometry g, int shift) {
        FloatVector iota = FloatVector.fromArray(S, IOTA, 0);
        return iota.compare(VectorOperators.GE, (float) shift).and(iota.compare(VectorOperators.LT, (float) (shift + Math.min(g.c(), L))));
    }

    private static void max(WindowGeometry g, float[] x, int xb, float[] out, int ob, int i0lo, int i0hi, int i1lo, int i1hi,
            int i2lo, int i2hi, int ch0, int ch1, int shift) {
        int[] len = g.len(), k = g.k(), s = g.s(), lo = g.lo(), d = g.d(), xs = g.xs(), ys = g.ys();
        // Loop invariants in locals, tap addresses stepped by the tap stride: the nest of short tap
        // loops ran at ~4.5 ns per tap vector with them read from the geometry's arrays.
        int s2 = s[2], lo2 = lo[2], d2 = d[2], len2 = len[2], k2 = k[2], xs2 = xs[2], ys2 = ys[2], step2 = d2 * xs2;
        int step1 = d[1] * xs[1], step0 = d[0] * xs[0];
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        VectorMask<Float> real = real(g, shift);
        for (int i0 = i0lo; i0 < i0hi; i0++) {
            int b0 = i0 * s[0] - lo[0], a0 = MaxPool.firstTap(b0, d[0]), e0 = MaxPool.endTap(b0, d[0], len[0], k[0]);
            for (int i1 = i1lo; i1 < i1hi; i1++) {
                int b1 = i1 * s[1] - lo[1], a1 = MaxPool.firstTap(b1, d[1]), e1 = MaxPool.endTap(b1, d[1], len[1], k[1]);
                int yrow = ob + i0 * ys[0] + i1 * ys[1] - shift;
                int rowBase = xb - shift + (b0 + a0 * d[0]) * xs[0] + (b1 + a1 * d[1]) * xs[1];
                int n0 = e0 - a0, n1 = e1 - a1;
                for (int i2 = i2lo; i2 < i2hi; i2++) {
                    int b2 = i2 * s2 - lo2, a2 = MaxPool.firstTap(b2, d2), n2 = MaxPool.endTap(b2, d2, len2, k2) - a2;
                    int wBase = rowBase + (b2 + a2 * d2) * xs2, at = yrow + i2 * ys2;
                    for (int ch = ch0; ch < ch1; ch += L) {
                        FloatVector best = ninf;
                        for (int t0 = 0, p0 = wBase + ch; t0 < n0; t0++, p0 += step0) {
                            for (int t1 = 0, p1 = p0; t1 < n1; t1++, p1 += step1) {
                                for (int t2 = 0, p = p1; t2 < n2; t2++, p += step2) best = best.max(FloatVector.fromArray(S, x, p));
                            }
                        }
                        if (shift == 0) best.intoArray(out, at + ch);
                        else FloatVector.fromArray(S, out, at + ch).blend(best, real).intoArray(out, at + ch);
                    }
                }
            }
        }
    }

    private static void gather(WindowGeometry g, float[] x, int xb, float[] t, int tb, float[] out, int ob,
            int i0lo, int i0hi, int i1lo, int i1hi, int i2lo, int i2hi, int ch0, int ch1, int shift) {
        int[] len = g.len(), k = g.k(), s = g.s(), lo = g.lo(), d = g.d(), xs = g.xs(), ys = g.ys();
        FloatVector zero = FloatVector.zero(S);
        VectorMask<Float> real = real(g, shift);
        for (int i0 = i0lo; i0 < i0hi; i0++) {
            int b0 = i0 * s[0] - lo[0], a0 = MaxPool.firstTap(b0, d[0]), e0 = MaxPool.endTap(b0, d[0], len[0], k[0]);
            for (int i1 = i1lo; i1 < i1hi; i1++) {
                int b1 = i1 * s[1] - lo[1], a1 = MaxPool.firstTap(b1, d[1]), e1 = MaxPool.endTap(b1, d[1], len[1], k[1]);
                int yrow = ob + i0 * ys[0] + i1 * ys[1];
                for (int i2 = i2lo; i2 < i2hi; i2++) {
                    int b2 = i2 * s[2] - lo[2], a2 = MaxPool.firstTap(b2, d[2]), e2 = MaxPool.endTap(b2, d[2], len[2], k[2]);
                    for (int ch = ch0; ch < ch1; ch += L) {
                        FloatVector best = zero, sel = zero;
                        boolean first = true;
                        for (int t0 = a0; t0 < e0; t0++) {
                            int p0 = ch - shift + (b0 + t0 * d[0]) * xs[0];
                            for (int t1 = a1; t1 < e1; t1++) {
                                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                                for (int t2 = a2; t2 < e2; t2++) {
                                    int p = p1 + (b2 + t2 * d[2]) * xs[2];
                                    FloatVector v = FloatVector.fromArray(S, x, xb + p), tv = FloatVector.fromArray(S, t, tb + p);
                                    if (first) {
                                        best = v;
                                        sel = tv;
                                        first = false;
                                    } else {
                                        VectorMask<Float> u = v.compare(VectorOperators.GT, best)
                                                .or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
                                        best = best.blend(v, u);
                                        sel = sel.blend(tv, u);
                                    }
                                }
                            }
                        }
                        int at = yrow + i2 * ys[2] + ch - shift;
                        if (shift == 0) sel.intoArray(out, at);
                        else FloatVector.fromArray(S, out, at).blend(sel, real).intoArray(out, at);
                    }
                }
            }
        }
    }

    private static void scatter(WindowGeometry g, float[] x, int xb, float[] dy, int tb, float[] dx, int ob,
            int i0lo, int i0hi, int i1lo, int i1hi, int i2lo, int i2hi, int ch0, int ch1, int shift, boolean store) {
        int[] len = g.len(), k = g.k(), s = g.s(), lo = g.lo(), d = g.d(), xs = g.xs(), ys = g.ys();
        FloatVector zero = FloatVector.zero(S);
        VectorMask<Float> real = real(g, shift);
        for (int i0 = i0lo; i0 < i0hi; i0++) {
            int b0 = i0 * s[0] - lo[0], a0 = MaxPool.firstTap(b0, d[0]), e0 = MaxPool.endTap(b0, d[0], len[0], k[0]);
            for (int i1 = i1lo; i1 < i1hi; i1++) {
                int b1 = i1 * s[1] - lo[1], a1 = MaxPool.firstTap(b1, d[1]), e1 = MaxPool.endTap(b1, d[1], len[1], k[1]);
                int yrow = tb + i0 * ys[0] + i1 * ys[1];
                for (int i2 = i2lo; i2 < i2hi; i2++) {
                    int b2 = i2 * s[2] - lo[2], a2 = MaxPool.firstTap(b2, d[2]), e2 = MaxPool.endTap(b2, d[2], len[2], k[2]);
                    if (a0 >= e0 || a1 >= e1 || a2 >= e2) continue; // a window of padding only adds nowhere
                    for (int ch = ch0; ch < ch1; ch += L) {
                        FloatVector best = zero, tap = zero;
                        int q = 0;
                        for (int t0 = a0; t0 < e0; t0++) {
                            int p0 = xb + ch - shift + (b0 + t0 * d[0]) * xs[0];
                            for (int t1 = a1; t1 < e1; t1++) {
                                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                                for (int t2 = a2; t2 < e2; t2++, q++) {
                                    FloatVector v = FloatVector.fromArray(S, x, p1 + (b2 + t2 * d[2]) * xs[2]);
                                    if (q == 0) best = v;
                                    else {
                                        VectorMask<Float> u = v.compare(VectorOperators.GT, best)
                                                .or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
                                        best = best.blend(v, u);
                                        tap = tap.blend((float) q, u);
                                    }
                                }
                            }
                        }
                        FloatVector grad = FloatVector.fromArray(S, dy, yrow + i2 * ys[2] + ch - shift);
                        q = 0;
                        for (int t0 = a0; t0 < e0; t0++) {
                            int p0 = ob + ch - shift + (b0 + t0 * d[0]) * xs[0];
                            for (int t1 = a1; t1 < e1; t1++) {
                                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                                for (int t2 = a2; t2 < e2; t2++, q++) {
                                    int p = p1 + (b2 + t2 * d[2]) * xs[2];
                                    VectorMask<Float> won = tap.compare(VectorOperators.EQ, (float) q);
                                    if (store && shift == 0) zero.blend(grad, won).intoArray(dx, p);
                                    else if (store) FloatVector.fromArray(S, dx, p).blend(zero.blend(grad, won), real).intoArray(dx, p);
                                    else {
                                        FloatVector cur = FloatVector.fromArray(S, dx, p);
                                        cur.blend(cur.add(grad), won.and(real)).intoArray(dx, p);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
