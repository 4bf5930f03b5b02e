package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * The windowed max kernels of max pooling, f32 and f64, over a {@link WindowGeometry}: the forward
 * maximum ({@link Kind#MAX}), the tangent gathered at each window's arg-max ({@link Kind#GATHER}) and
 * the cotangent scatter-added there ({@link Kind#SCATTER}, the max-pool backward in one pass).
 *
 * <p>The arg-max is the interpreter's: the first tap inside the operand in the window's row-major
 * scan order starts, and a later tap replaces it only if greater, or NaN when the best is not; so
 * the first maximum wins ties, the first NaN wins over numbers and padding never wins. The maximum
 * itself is {@code Math.max} over the taps ({@code -inf} for a window of padding only), NaN if any
 * tap is NaN.
 *
 * <p>Work is cut into tasks of whole windows ({@link #tasks}): every task writes its own outputs,
 * and for the scatter, tasks only split along axes where windows are disjoint, so no two tasks add
 * into the same position and every position receives its contributions in window order whatever
 * the thread count: results are bitwise identical at any thread count. The scatter writes each
 * position once (a store of the cotangent or zero) when windows are disjoint and cover the operand
 * (2x2 stride 2 pooling of an even size), else zero-fills first and accumulates. With the Vector API
 * and at least {@link #VECTOR_MIN_C} inner elements the f32 kernels are vectorized over them (NHWC
 * channels); otherwise they are scalar.
 */
public final class MaxPool {
    private MaxPool() {}

    /** Which of the three windowed max kernels. */
    public enum Kind {
        /** {@code y[w] = max of window w of x}. */
        MAX,
        /** {@code y[w] = t[argmax of window w of x]}, {@code t} shaped like {@code x}. */
        GATHER,
        /** {@code dx = 0; dx[argmax of window w of x] += dy[w]}, {@code dy} shaped like the windows' grid. */
        SCATTER
    }

    /** Fewest inner (channel) elements the vector kernels take; fewer run scalar. */
    public static final int VECTOR_MIN_C = 4;

    /** Elements zero-filled per chunk before an accumulating scatter. */
    static final int FILL_CHUNK = 1 << 15;

    /** Whether windowed axis {@code a} (0 or 1) is split into tasks for {@code kind}. */
    static boolean split(Kind kind, WindowGeometry g, int a) { return kind != Kind.SCATTER || g.disjoint(a); }

    /** Number of independent tasks of {@code kind} over {@code g}: outer slices times the split windowed axes 0 and 1. */
    public static int tasks(Kind kind, WindowGeometry g) {
        long n = g.outerCount();
        if (split(kind, g, 0)) n *= g.out()[0];
        if (split(kind, g, 1)) n *= g.out()[1];
        return (int) n;
    }

    /** Whether the scatter must zero-fill its result before its tasks run (windows overlap or leave positions uncovered). */
    public static boolean scatterFills(WindowGeometry g) { return !(g.disjoint() && g.covering()); }

    /** Zero-fill chunks of the scatter's result (see {@link #scatterFills}). */
    public static int fillChunks(WindowGeometry g) { return (g.xSize() + FILL_CHUNK - 1) / FILL_CHUNK; }

    /** Zero-fills chunk {@code chunk} of the scatter's result {@code dx} (at {@code dxOff}). */
    public static void fill(float[] dx, int dxOff, WindowGeometry g, int chunk) {
        int from = chunk * FILL_CHUNK, to = Math.min(g.xSize(), from + FILL_CHUNK);
        Arrays.fill(dx, dxOff + from, dxOff + to, 0f);
    }

    /** Zero-fills chunk {@code chunk} of the scatter's result {@code dx} (at {@code dxOff}). */
    public static void fill(double[] dx, int dxOff, WindowGeometry g, int chunk) {
        int from = chunk * FILL_CHUNK, to = Math.min(g.xSize(), from + FILL_CHUNK);
        Arrays.fill(dx, dxOff + from, dxOff + to, 0.0);
    }

    /**
     * Runs task {@code task} of {@code kind} in f32.
     *
     * @param x the operand whose windows are scanned, dense from {@code xOff}
     * @param t MAX: unused; GATHER: the tangent, shaped like x; SCATTER: the cotangent, shaped like the grid
     * @param out MAX and GATHER: the grid-shaped result; SCATTER: the x-shaped result
     */
    public static void run(Kind kind, WindowGeometry g, float[] x, int xOff, float[] t, int tOff, float[] out, int outOff, int task) {
        Task k = Task.of(kind, g, task);
        int xb = xOff + k.xBase, yb = k.yBase;
        int tb = tOff + (kind == Kind.SCATTER ? yb : k.xBase), ob = outOff + (kind == Kind.SCATTER ? k.xBase : yb);
        boolean store = kind == Kind.SCATTER && !scatterFills(g);
        if (Simd.ENABLED && g.c() >= VECTOR_MIN_C) MaxPoolSimd.windows(kind, g, x, xb, t, tb, out, ob, k.i0lo, k.i0hi, k.i1lo, k.i1hi, store);
        else windows(kind, g, x, xb, t, tb, out, ob, k.i0lo, k.i0hi, k.i1lo, k.i1hi, 0, g.out()[2], 0, g.c(), store);
    }

    /** Runs task {@code task} of {@code kind} in f64; see {@link #run(Kind, WindowGeometry, float[], int, float[], int, float[], int, int)}. */
    public static void run(Kind kind, WindowGeometry g, double[] x, int xOff, double[] t, int tOff, double[] out, int outOff, int task) {
        Task k = Task.of(kind, g, task);
        int xb = xOff + k.xBase, yb = k.yBase;
        int tb = tOff + (kind == Kind.SCATTER ? yb : k.xBase), ob = outOff + (kind == Kind.SCATTER ? k.xBase : yb);
        windows(kind, g, x, xb, t, tb, out, ob, k.i0lo, k.i0hi, k.i1lo, k.i1hi, 0, g.out()[2], 0, g.c(), kind == Kind.SCATTER && !scatterFills(g));
    }

    /** A task's outer-slice bases and its ranges of windows along windowed axes 0 and 1 (scalar-replaced by C2: no allocation). */
    record Task(int xBase, int yBase, int i0lo, int i0hi, int i1lo, int i1hi) {
        static Task of(Kind kind, WindowGeometry g, int task) {
            int[] out = g.out();
            int rem = task, i0lo = 0, i0hi = out[0], i1lo = 0, i1hi = out[1];
            if (split(kind, g, 1)) {
                i1lo = rem % out[1];
                i1hi = i1lo + 1;
                rem /= out[1];
            }
            if (split(kind, g, 0)) {
                i0lo = rem % out[0];
                i0hi = i0lo + 1;
                rem /= out[0];
            }
            int xb = 0, yb = 0;
            int[] dims = g.outerDims();
            for (int j = dims.length - 1; j >= 0; j--) {
                int digit = rem % dims[j];
                rem /= dims[j];
                xb += digit * g.outerX()[j];
                yb += digit * g.outerY()[j];
            }
            return new Task(xb, yb, i0lo, i0hi, i1lo, i1hi);
        }
    }

    /** First tap of a window starting at {@code b = i * s - lo} that lies inside an axis: {@code ceil(-b / d)}, at least 0. */
    static int firstTap(int b, int d) { return b >= 0 ? 0 : (-b + d - 1) / d; }

    /** One past the last tap inside an axis of length {@code len}, at most {@code k}. */
    static int endTap(int b, int d, int len, int k) { return len - b <= 0 ? 0 : Math.min(k, (len - b + d - 1) / d); }

    /** The scalar kernel over windows {@code [i0lo, i0hi) x [i1lo, i1hi) x [i2lo, i2hi)} and channels {@code [ch0, ch1)}. */
    static void windows(Kind kind, WindowGeometry g, float[] x, int xb, float[] t, int tb, float[] out, int ob,
            int i0lo, int i0hi, int i1lo, int i1hi, int i2lo, int i2hi, int ch0, int ch1, boolean store) {
        int[] len = g.len(), k = g.k(), s = g.s(), lo = g.lo(), d = g.d(), xs = g.xs();
        int[] ys = g.ys();
        for (int i0 = i0lo; i0 < i0hi; i0++) {
            int b0 = i0 * s[0] - lo[0], a0 = firstTap(b0, d[0]), e0 = endTap(b0, d[0], len[0], k[0]);
            for (int i1 = i1lo; i1 < i1hi; i1++) {
                int b1 = i1 * s[1] - lo[1], a1 = firstTap(b1, d[1]), e1 = endTap(b1, d[1], len[1], k[1]);
                for (int i2 = i2lo; i2 < i2hi; i2++) {
                    int b2 = i2 * s[2] - lo[2], a2 = firstTap(b2, d[2]), e2 = endTap(b2, d[2], len[2], k[2]);
                    int yp = i0 * ys[0] + i1 * ys[1] + i2 * ys[2];
                    for (int ch = ch0; ch < ch1; ch++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int t0 = a0; t0 < e0; t0++) {
                            int p0 = (b0 + t0 * d[0]) * xs[0] + ch;
                            for (int t1 = a1; t1 < e1; t1++) {
                                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                                for (int t2 = a2; t2 < e2; t2++) {
                                    int p = p1 + (b2 + t2 * d[2]) * xs[2];
                                    float v = x[xb + p];
                                    if (kind == Kind.MAX) best = Math.max(best, v);
                                    else if (at < 0 || v > best || (v != v && best == best)) {
                                        best = v;
                                        at = p;
                                    }
                                }
                            }
                        }
                        switch (kind) {
                            case MAX -> out[ob + yp + ch] = best;
                            case GATHER -> out[ob + yp + ch] = at < 0 ? 0f : t[tb + at];
                            case SCATTER -> {
                                if (!store) {
                                    if (at >= 0) out[ob + at] += t[tb + yp + ch];
                                    break;
                                }
                                // Disjoint covering windows: every position is written once, the cotangent or zero.
                                for (int t0 = a0; t0 < e0; t0++) {
                                    int p0 = (b0 + t0 * d[0]) * xs[0] + ch;
                                    for (int t1 = a1; t1 < e1; t1++) {
                                        int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                                        for (int t2 = a2; t2 < e2; t2++) {
                                            int p = p1 + (b2 + t2 * d[2]) * xs[2];
                                            out[ob + p] = p == at ? t[tb + yp + ch] : 0f;
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

    static void windows(Kind kind, WindowGeometry g, double[] x, int xb, double[] t, int tb, double[] out, int ob,
            int i0lo, int i0hi, int i1lo, int i1hi, int i2lo, int i2hi, int ch0, int ch1, boolean store) {
        int[] len = g.len(), k = g.k(), s = g.s(), lo = g.lo(), d = g.d(), xs = g.xs();
        int[] ys = g.ys();
        for (int i0 = i0lo; i0 < i0hi; i0++) {
            int b0 = i0 * s[0] - lo[0], a0 = firstTap(b0, d[0]), e0 = endTap(b0, d[0], len[0], k[0]);
            for (int i1 = i1lo; i1 < i1hi; i1++) {
                int b1 = i1 * s[1] - lo[1], a1 = firstTap(b1, d[1]), e1 = endTap(b1, d[1], len[1], k[1]);
                for (int i2 = i2lo; i2 < i2hi; i2++) {
                    int b2 = i2 * s[2] - lo[2], a2 = firstTap(b2, d[2]), e2 = endTap(b2, d[2], len[2], k[2]);
                    int yp = i0 * ys[0] + i1 * ys[1] + i2 * ys[2];
                    for (int ch = ch0; ch < ch1; ch++) {
                        double best = Double.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int t0 = a0; t0 < e0; t0++) {
                            int p0 = (b0 + t0 * d[0]) * xs[0] + ch;
                            for (int t1 = a1; t1 < e1; t1++) {
                                int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                                for (int t2 = a2; t2 < e2; t2++) {
                                    int p = p1 + (b2 + t2 * d[2]) * xs[2];
                                    double v = x[xb + p];
                                    if (kind == Kind.MAX) best = Math.max(best, v);
                                    else if (at < 0 || v > best || (v != v && best == best)) {
                                        best = v;
                                        at = p;
                                    }
                                }
                            }
                        }
                        switch (kind) {
                            case MAX -> out[ob + yp + ch] = best;
                            case GATHER -> out[ob + yp + ch] = at < 0 ? 0.0 : t[tb + at];
                            case SCATTER -> {
                                if (!store) {
                                    if (at >= 0) out[ob + at] += t[tb + yp + ch];
                                    break;
                                }
                                // Disjoint covering windows: every position is written once, the cotangent or zero.
                                for (int t0 = a0; t0 < e0; t0++) {
                                    int p0 = (b0 + t0 * d[0]) * xs[0] + ch;
                                    for (int t1 = a1; t1 < e1; t1++) {
                                        int p1 = p0 + (b1 + t1 * d[1]) * xs[1];
                                        for (int t2 = a2; t2 < e2; t2++) {
                                            int p = p1 + (b2 + t2 * d[2]) * xs[2];
                                            out[ob + p] = p == at ? t[tb + yp + ch] : 0.0;
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
}
