package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * A windowed max over every axis of a dense row-major operand, brought into the form the
 * {@link MaxPool} kernels loop over: {@code outer} independent slices (the identity axes other than
 * the trailing ones: batch, and channels when they come first), three windowed axes (missing ones are
 * size-1 axes with window 1) and {@code c} contiguous inner elements (the trailing identity axes:
 * NHWC channels, vectorized over). Made once when a plan is compiled, read only afterwards.
 *
 * @param outerDims sizes of the outer axes, outermost first
 * @param outerX element strides of the outer axes in the operand (and the scatter's result)
 * @param outerY element strides of the outer axes in the windows' grid
 * @param len per windowed axis, the operand's size
 * @param k per windowed axis, the window size
 * @param s per windowed axis, the stride
 * @param lo per windowed axis, the padding before
 * @param d per windowed axis, the window dilation
 * @param out per windowed axis, the number of windows
 * @param xs per windowed axis, the element stride in the operand
 * @param ys per windowed axis, the element stride in the windows' grid
 * @param c number of contiguous inner elements (stride 1 in both)
 * @param xSize elements of the operand
 * @param ySize elements of the windows' grid
 */
public record WindowGeometry(int[] outerDims, int[] outerX, int[] outerY, int[] len, int[] k, int[] s, int[] lo, int[] d,
        int[] out, int[] xs, int[] ys, int c, int xSize, int ySize) {

    /** Most windowed axes the kernels take (3-D pooling). */
    public static final int MAX_WINDOWED = 3;

    /**
     * The geometry of a window ({@code size, strides, padLo, padHi, dilation} per axis) over a dense
     * operand of shape {@code x}.
     *
     * @throws IllegalArgumentException if more than {@value #MAX_WINDOWED} axes are windowed
     */
    public static WindowGeometry of(int[] x, int[] size, int[] strides, int[] padLo, int[] padHi, int[] dilation) {
        int r = x.length;
        int[] outDims = new int[r];
        for (int a = 0; a < r; a++) {
            int e = (size[a] - 1) * dilation[a] + 1;
            outDims[a] = (x[a] + padLo[a] + padHi[a] - e) / strides[a] + 1;
        }
        int[] xStrides = dense(x), yStrides = dense(outDims);
        int inner = r; // axes [inner, r) are trailing identity axes, merged into c
        while (inner > 0 && identity(inner - 1, size, strides, padLo, padHi)) inner--;
        int c = 1;
        for (int a = inner; a < r; a++) c *= x[a];
        int windowed = 0, outer = 0;
        for (int a = 0; a < inner; a++) {
            if (identity(a, size, strides, padLo, padHi)) outer++;
            else windowed++;
        }
        if (windowed > MAX_WINDOWED) {
            throw new IllegalArgumentException("window_max: the cpu kernels pool over at most " + MAX_WINDOWED + " windowed axes, but "
                    + windowed + " of shape " + Arrays.toString(x) + " are windowed (window " + Arrays.toString(size) + ", strides "
                    + Arrays.toString(strides) + ")");
        }
        int[] od = new int[outer], ox = new int[outer], oy = new int[outer];
        int[] len = new int[3], k = new int[3], s = new int[3], lo = new int[3], d = new int[3], out = new int[3], xs = new int[3], ys = new int[3];
        Arrays.fill(len, 1);
        Arrays.fill(k, 1);
        Arrays.fill(s, 1);
        Arrays.fill(d, 1);
        Arrays.fill(out, 1);
        int oi = 0, wi = MAX_WINDOWED - windowed;
        for (int a = 0; a < inner; a++) {
            if (identity(a, size, strides, padLo, padHi)) {
                od[oi] = x[a];
                ox[oi] = xStrides[a];
                oy[oi++] = yStrides[a];
            } else {
                len[wi] = x[a];
                k[wi] = size[a];
                s[wi] = strides[a];
                lo[wi] = padLo[a];
                d[wi] = size[a] == 1 ? 1 : dilation[a];
                out[wi] = outDims[a];
                xs[wi] = xStrides[a];
                ys[wi++] = yStrides[a];
            }
        }
        long xSize = 1, ySize = 1;
        for (int a = 0; a < r; a++) {
            xSize *= x[a];
            ySize *= outDims[a];
        }
        return new WindowGeometry(od, ox, oy, len, k, s, lo, d, out, xs, ys, c, (int) xSize, (int) ySize);
    }

    private static boolean identity(int a, int[] size, int[] strides, int[] padLo, int[] padHi) {
        return size[a] == 1 && strides[a] == 1 && padLo[a] == 0 && padHi[a] == 0;
    }

    private static int[] dense(int[] shape) {
        int[] st = new int[shape.length];
        int n = 1;
        for (int a = shape.length - 1; a >= 0; a--) {
            st[a] = n;
            n *= shape[a];
        }
        return st;
    }

    /** Number of outer slices. */
    public int outerCount() {
        int n = 1;
        for (int v : outerDims) n *= v;
        return n;
    }

    /** The span of the dilated window on windowed axis {@code a}. */
    int extent(int a) { return (k[a] - 1) * d[a] + 1; }

    /** Whether windows never share a position along windowed axis {@code a}, so windows with different indices on it never collide. */
    boolean disjoint(int a) { return s[a] >= extent(a) || out[a] == 1; }

    /** Whether no two windows share a position (each position is one tap of at most one window). */
    boolean disjoint() { return disjoint(0) && disjoint(1) && disjoint(2); }

    /** Whether every position of the operand is a tap of some window (with {@link #disjoint()}: of exactly one). */
    boolean covering() {
        for (int a = 0; a < 3; a++) {
            if (k[a] == 1 && s[a] == 1 && lo[a] == 0 && out[a] >= len[a]) continue;
            if (d[a] != 1 || s[a] != k[a] || lo[a] != 0 || (long) out[a] * s[a] < len[a]) return false;
        }
        return true;
    }
}
