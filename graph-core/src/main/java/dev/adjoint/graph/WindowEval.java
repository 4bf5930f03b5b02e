package dev.adjoint.graph;

import dev.adjoint.graph.op.Window;

/**
 * The reference interpreter's windowed max ops ({@code window_max}, {@code window_max_gather},
 * {@code window_max_scatter}), index by index from their definitions in float64. One arg-max rule
 * serves the gather and the scatter: the first tap inside {@code x} in the window's scan order
 * starts, and a later tap replaces it only if it is greater, or if it is NaN and the best so far is
 * not (so the first maximum wins ties and the first NaN wins over everything).
 */
final class WindowEval {
    private WindowEval() {}

    /** {@code y[o] = max over the window's taps inside x}, {@code -inf} for a window of padding only. */
    static void max(Window w, Shape xs, double[] x, Shape out, double[] y) {
        int r = xs.rank();
        int[] o = new int[r], t = new int[r], p = new int[r];
        for (int i = 0; i < y.length; i++) {
            Interpreter.unravel(i, out, o);
            double m = Double.NEGATIVE_INFINITY;
            for (long tap = 0, n = w.taps(); tap < n; tap++) {
                int at = position(w, xs, o, tap, t, p);
                if (at >= 0) m = Math.max(m, x[at]);
            }
            y[i] = m;
        }
    }

    /** The flat index in {@code x} of window {@code o}'s arg-max (class rule), or -1 for a window of padding only. */
    static int argmax(Window w, Shape xs, double[] x, int[] o, int[] t, int[] p) {
        int best = -1;
        for (long tap = 0, n = w.taps(); tap < n; tap++) {
            int at = position(w, xs, o, tap, t, p);
            if (at < 0) continue;
            double v = x[at];
            if (best < 0 || v > x[best] || (Double.isNaN(v) && !Double.isNaN(x[best]))) best = at;
        }
        return best;
    }

    /** {@code y[o] = t[argmax of window o]}, zero for a window of padding only. */
    static void gather(Window w, Shape xs, double[] x, double[] tv, Shape out, double[] y) {
        int r = xs.rank();
        int[] o = new int[r], t = new int[r], p = new int[r];
        for (int i = 0; i < y.length; i++) {
            int at = argmax(w, xs, x, Interpreter.unravel(i, out, o), t, p);
            y[i] = at < 0 ? 0 : tv[at];
        }
    }

    /** {@code y = zeros(x)}, then {@code y[argmax of window o] += c[o]} for every window in order. */
    static void scatter(Window w, Shape xs, double[] x, Shape cs, double[] c, double[] y) {
        int r = xs.rank();
        int[] o = new int[r], t = new int[r], p = new int[r];
        for (int i = 0; i < c.length; i++) {
            int at = argmax(w, xs, x, Interpreter.unravel(i, cs, o), t, p);
            if (at >= 0) y[at] += c[i];
        }
    }

    /** The flat index in {@code x} of tap number {@code tap} (row-major) of window {@code o}, or -1 if it is padding. */
    private static int position(Window w, Shape xs, int[] o, long tap, int[] t, int[] p) {
        int r = xs.rank();
        for (int a = r - 1; a >= 0; a--) {
            t[a] = (int) (tap % w.size().get(a));
            tap /= w.size().get(a);
        }
        for (int a = 0; a < r; a++) {
            p[a] = o[a] * w.strides().get(a) - w.padLo().get(a) + t[a] * w.dilation().get(a);
            if (p[a] < 0 || p[a] >= xs.dim(a)) return -1;
        }
        return Interpreter.ravel(p, xs);
    }
}
