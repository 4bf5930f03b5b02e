package dev.adjoint.cpu;

import dev.adjoint.graph.DType;

/**
 * Loops over any storage type for the kernels that have no f32 vector version: strided copies (the
 * movement ops of non-float storage), reductions other than the f32 sum and max, argmax/argmin and
 * cumsum. Each reads its operand through a view's offset and strides and writes densely. All run on
 * the calling thread in a fixed order, so results are bitwise the same at every thread count.
 */
final class TypedKernels {
    private TypedKernels() {}

    /** {@code shape} with rank at least 1 (a scalar is a line of one element). */
    static int[] atLeast1(int[] shape) { return shape.length == 0 ? new int[] {1} : shape; }

    static int[] stridesAtLeast1(int[] strides) { return strides.length == 0 ? new int[] {0} : strides; }

    /** Copies the view {@code src} into the view {@code dst} element by element, a line (last axis) at a time. */
    static void copy(Lines lines, int n, Object src, int so, int ss, Object dst, int dO, int ds) {
        lines.start(so, dO);
        while (lines.next()) {
            int s = lines.base[0], d = lines.base[1];
            if (ss == 1 && ds == 1) {
                System.arraycopy(src, s, dst, d, n);
                continue;
            }
            switch (src) {
                case float[] a -> { float[] b = (float[]) dst; for (int j = 0; j < n; j++) b[d + j * ds] = a[s + j * ss]; }
                case double[] a -> { double[] b = (double[]) dst; for (int j = 0; j < n; j++) b[d + j * ds] = a[s + j * ss]; }
                case int[] a -> { int[] b = (int[]) dst; for (int j = 0; j < n; j++) b[d + j * ds] = a[s + j * ss]; }
                case long[] a -> { long[] b = (long[]) dst; for (int j = 0; j < n; j++) b[d + j * ds] = a[s + j * ss]; }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** Zeroes {@code a[from, from + n)}. */
    static void zero(Object a, int from, int n) {
        switch (a) {
            case float[] f -> java.util.Arrays.fill(f, from, from + n, 0f);
            case double[] f -> java.util.Arrays.fill(f, from, from + n, 0.0);
            case int[] f -> java.util.Arrays.fill(f, from, from + n, 0);
            case long[] f -> java.util.Arrays.fill(f, from, from + n, 0L);
            default -> throw new IllegalStateException();
        }
    }

    /** Reduction kinds beyond the f32 vector kernels. */
    enum Fn { SUM, MAX, MIN, PROD }

    /**
     * Reduces {@code in} (view with lines along its last axis) into dense {@code out}: {@code outStrides}
     * gives each input axis's step in the output (0 on reduced axes). Floats accumulate in double
     * (f32 rounds once at the end), integers in long, wrapping to i32 per step.
     */
    static void reduce(Fn fn, DType type, Lines lines, int n, Object in, int inOff, int inLast, int outLast,
                       double[] accD, long[] accL, Object out) {
        int size = accD != null ? accD.length : accL.length;
        if (accD != null) {
            double id = switch (fn) {
                case SUM -> 0;
                case PROD -> 1;
                case MAX -> Double.NEGATIVE_INFINITY;
                case MIN -> Double.POSITIVE_INFINITY;
            };
            java.util.Arrays.fill(accD, id);
        } else {
            // The interpreter's identities: i64 holds +-2^53 as its extreme exact values.
            long id = switch (fn) {
                case SUM -> 0;
                case PROD -> 1;
                case MAX -> type == DType.I32 ? Integer.MIN_VALUE : -(1L << 53);
                case MIN -> type == DType.I32 ? Integer.MAX_VALUE : (1L << 53);
            };
            java.util.Arrays.fill(accL, id);
        }
        boolean i32 = type == DType.I32;
        lines.start(inOff, 0);
        while (lines.next()) {
            int s = lines.base[0], o = lines.base[1];
            switch (in) {
                case float[] a -> {
                    for (int j = 0; j < n; j++) {
                        int k = o + j * outLast;
                        accD[k] = apply(fn, accD[k], a[s + j * inLast]);
                    }
                }
                case double[] a -> {
                    for (int j = 0; j < n; j++) {
                        int k = o + j * outLast;
                        accD[k] = apply(fn, accD[k], a[s + j * inLast]);
                    }
                }
                case int[] a -> {
                    for (int j = 0; j < n; j++) {
                        int k = o + j * outLast;
                        long v = apply(fn, accL[k], a[s + j * inLast]);
                        accL[k] = i32 ? (int) v : v;
                    }
                }
                case long[] a -> {
                    for (int j = 0; j < n; j++) {
                        int k = o + j * outLast;
                        accL[k] = apply(fn, accL[k], a[s + j * inLast]);
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        switch (out) {
            case float[] f -> { for (int i = 0; i < size; i++) f[i] = (float) accD[i]; }
            case double[] f -> System.arraycopy(accD, 0, f, 0, size);
            case int[] f -> { for (int i = 0; i < size; i++) f[i] = (int) accL[i]; }
            case long[] f -> System.arraycopy(accL, 0, f, 0, size);
            default -> throw new IllegalStateException();
        }
    }

    private static double apply(Fn fn, double acc, double v) {
        return switch (fn) {
            case SUM -> acc + v;
            case PROD -> acc * v;
            case MAX -> Math.max(acc, v);
            case MIN -> Math.min(acc, v);
        };
    }

    private static long apply(Fn fn, long acc, long v) {
        return switch (fn) {
            case SUM -> acc + v;
            case PROD -> acc * v;
            case MAX -> Math.max(acc, v);
            case MIN -> Math.min(acc, v);
        };
    }

    /**
     * argmax/argmin along the lines of {@code lines} (the reduced axis): the first extremum wins ties
     * and a NaN is the extremum (its first occurrence), as numpy and torch do.
     */
    static void argReduce(boolean max, Lines lines, int n, Object in, int inOff, int step, Object out) {
        lines.start(inOff, 0);
        while (lines.next()) {
            int s = lines.base[0], o = lines.base[1];
            int best = 0;
            switch (in) {
                case float[] a -> {
                    float b = a[s];
                    for (int j = 1; j < n && !Float.isNaN(b); j++) {
                        float v = a[s + j * step];
                        if (Float.isNaN(v) || (max ? v > b : v < b)) { best = j; b = v; }
                    }
                }
                case double[] a -> {
                    double b = a[s];
                    for (int j = 1; j < n && !Double.isNaN(b); j++) {
                        double v = a[s + j * step];
                        if (Double.isNaN(v) || (max ? v > b : v < b)) { best = j; b = v; }
                    }
                }
                case int[] a -> {
                    int b = a[s];
                    for (int j = 1; j < n; j++) {
                        int v = a[s + j * step];
                        if (max ? v > b : v < b) { best = j; b = v; }
                    }
                }
                case long[] a -> {
                    long b = a[s];
                    for (int j = 1; j < n; j++) {
                        long v = a[s + j * step];
                        if (max ? v > b : v < b) { best = j; b = v; }
                    }
                }
                default -> throw new IllegalStateException();
            }
            if (out instanceof int[] r) r[o] = best;
            else ((long[]) out)[o] = best;
        }
    }

    /**
     * Inclusive cumulative sums along the lines ({@code reverse}: from the end). f32 accumulates in
     * double and rounds each output once; integers wrap to their width.
     */
    static void cumsum(boolean reverse, boolean i32, Lines lines, int n, Object in, int inOff, int inStep,
                       Object out, int outStep) {
        lines.start(inOff, 0);
        int first = reverse ? n - 1 : 0, dir = reverse ? -1 : 1;
        while (lines.next()) {
            int s = lines.base[0] + first * inStep, o = lines.base[1] + first * outStep;
            int si = dir * inStep, oi = dir * outStep;
            switch (in) {
                case float[] a -> {
                    float[] r = (float[]) out;
                    double acc = 0;
                    for (int j = 0; j < n; j++, s += si, o += oi) { acc += a[s]; r[o] = (float) acc; }
                }
                case double[] a -> {
                    double[] r = (double[]) out;
                    double acc = 0;
                    for (int j = 0; j < n; j++, s += si, o += oi) { acc += a[s]; r[o] = acc; }
                }
                case int[] a -> {
                    int[] r = (int[]) out;
                    int acc = 0;
                    for (int j = 0; j < n; j++, s += si, o += oi) { acc += a[s]; r[o] = acc; }
                }
                case long[] a -> {
                    long[] r = (long[]) out;
                    long acc = 0;
                    for (int j = 0; j < n; j++, s += si, o += oi) { acc += a[s]; r[o] = acc; }
                }
                default -> throw new IllegalStateException();
            }
        }
    }
}
