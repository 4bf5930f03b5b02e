package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f32 {@link MaxPool} kernels vectorized over the contiguous inner elements (NHWC channels), a
 * block of {@code SPECIES_PREFERRED} lanes at a time with a masked tail (6 or 16 LeNet channels are
 * one masked block). The arg-max is tracked per lane by blends on the interpreter's rule; the
 * scatter keeps the winning tap's ordinal per lane and writes every tap in a second pass over the
 * window. Loaded only when {@link Simd#ENABLED}. Vectors never cross a method boundary (a
 * non-inlined vector argument would be boxed).
 */
final class MaxPoolSimd {
    private MaxPoolSimd() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static void windows(MaxPool.Kind kind, WindowGeometry g, float[] x, int xb, float[] t, int tb, float[] out, int ob,
            int i0lo, int i0hi, int i1lo, int i1hi, boolean store) {
        int[] len = g.len(), k = g.k(), s = g.s(), lo = g.lo(), d = g.d(), xs = g.xs(), ys = g.ys();
        int c = g.c(), n2 = g.out()[2];
        for (int i0 = i0lo; i0 < i0hi; i0++) {
            int b0 = i0 * s[0] - lo[0], a0 = MaxPool.firstTap(b0, d[0]), e0 = MaxPool.endTap(b0, d[0], len[0], k[0]);
            for (int i1 = i1lo; i1 < i1hi; i1++) {
                int b1 = i1 * s[1] - lo[1], a1 = MaxPool.firstTap(b1, d[1]), e1 = MaxPool.endTap(b1, d[1], len[1], k[1]);
                // Tap offsets of axes 0 and 1 folded into a base per (t0, t1) row below; axis 2 is the innermost tap loop.
                for (int i2 = 0; i2 < n2; i2++) {
                    int b2 = i2 * s[2] - lo[2], a2 = MaxPool.firstTap(b2, d[2]), e2 = MaxPool.endTap(b2, d[2], len[2], k[2]);
                    int yp = i0 * ys[0] + i1 * ys[1] + i2 * ys[2];
                    for (int ch = 0; ch < c; ch += S.length()) {
                        switch (kind) {
                            case MAX -> max(g, x, xb, out, ob + yp, ch, c, b0, a0, e0, b1, a1, e1, b2, a2, e2);
                            case GATHER -> gather(g, x, xb, t, tb, out, ob + yp, ch, c, b0, a0, e0, b1, a1, e1, b2, a2, e2);
                            case SCATTER -> scatter(g, x, xb, t, tb + yp, out, ob, ch, c, b0, a0, e0, b1, a1, e1, b2, a2, e2, store);
                        }
                    }
                }
            }
        }
    }

    private static void max(WindowGeometry g, float[] x, int xb, float[] out, int yAt, int ch, int c,
            int b0, int a0, int e0, int b1, int a1, int e1, int b2, int a2, int e2) {
        int[] d = g.d(), xs = g.xs();
        VectorMask<Float> m = S.indexInRange(ch, c);
        FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int t0 = a0; t0 < e0; t0++) {
            int p0 = xb + ch + (b0 + t0 * d[0]) * xs[0];
            for (int t1 = a1; t1 < e1; t1++) {
                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                for (int t2 = a2; t2 < e2; t2++) best = best.max(FloatVector.fromArray(S, x, p1 + (b2 + t2 * d[2]) * xs[2], m));
            }
        }
        best.intoArray(out, yAt + ch, m);
    }

    private static void gather(WindowGeometry g, float[] x, int xb, float[] t, int tb, float[] out, int yAt, int ch, int c,
            int b0, int a0, int e0, int b1, int a1, int e1, int b2, int a2, int e2) {
        int[] d = g.d(), xs = g.xs();
        VectorMask<Float> m = S.indexInRange(ch, c);
        FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), sel = FloatVector.zero(S);
        boolean first = true;
        for (int t0 = a0; t0 < e0; t0++) {
            int p0 = ch + (b0 + t0 * d[0]) * xs[0];
            for (int t1 = a1; t1 < e1; t1++) {
                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                for (int t2 = a2; t2 < e2; t2++) {
                    int p = p1 + (b2 + t2 * d[2]) * xs[2];
                    FloatVector v = FloatVector.fromArray(S, x, xb + p, m), tv = FloatVector.fromArray(S, t, tb + p, m);
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
        sel.intoArray(out, yAt + ch, m);
    }

    private static void scatter(WindowGeometry g, float[] x, int xb, float[] dy, int dyAt, float[] dx, int ob, int ch, int c,
            int b0, int a0, int e0, int b1, int a1, int e1, int b2, int a2, int e2, boolean store) {
        int[] d = g.d(), xs = g.xs();
        VectorMask<Float> m = S.indexInRange(ch, c);
        FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), tap = FloatVector.broadcast(S, -1f);
        int q = 0;
        for (int t0 = a0; t0 < e0; t0++) {
            int p0 = ch + (b0 + t0 * d[0]) * xs[0];
            for (int t1 = a1; t1 < e1; t1++) {
                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                for (int t2 = a2; t2 < e2; t2++, q++) {
                    FloatVector v = FloatVector.fromArray(S, x, xb + p1 + (b2 + t2 * d[2]) * xs[2], m);
                    if (q == 0) {
                        best = v;
                        tap = FloatVector.zero(S);
                    } else {
                        VectorMask<Float> u = v.compare(VectorOperators.GT, best)
                                .or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
                        best = best.blend(v, u);
                        tap = tap.blend((float) q, u);
                    }
                }
            }
        }
        if (q == 0) return; // a window of padding only adds nowhere
        FloatVector grad = FloatVector.fromArray(S, dy, dyAt + ch, m), zero = FloatVector.zero(S);
        q = 0;
        for (int t0 = a0; t0 < e0; t0++) {
            int p0 = ob + ch + (b0 + t0 * d[0]) * xs[0];
            for (int t1 = a1; t1 < e1; t1++) {
                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                for (int t2 = a2; t2 < e2; t2++, q++) {
                    int p = p1 + (b2 + t2 * d[2]) * xs[2];
                    VectorMask<Float> won = tap.compare(VectorOperators.EQ, (float) q);
                    if (store) zero.blend(grad, won).intoArray(dx, p, m);
                    else FloatVector.fromArray(S, dx, p, m).add(grad, won).intoArray(dx, p, m);
                }
            }
        }
    }
}
