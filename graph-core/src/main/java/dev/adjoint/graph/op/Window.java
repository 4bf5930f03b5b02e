package dev.adjoint.graph.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;

/**
 * The window of a windowed reduction over <em>every</em> axis of its operand (XLA's
 * {@code reduce_window} attributes, without base dilation): per axis a window size, a stride, zero
 * or more padded positions before ({@code padLo}) and after ({@code padHi}), and a window dilation
 * (the distance between taps). Batch and channel axes have window 1, stride 1 and no padding, so
 * channels-last and channels-first pools, 1-D/2-D/3-D pools and ONNX's dilations are the same op.
 *
 * <p>On an axis of length {@code L} the dilated window spans {@code e = (size - 1) * dilation + 1}
 * positions and there are {@code (L + padLo + padHi - e) / stride + 1} windows; window {@code o}'s
 * tap {@code t} reads position {@code o * stride - padLo + t * dilation}, which is padding unless it
 * lies in {@code [0, L)}. The taps of a window are scanned in row-major order (the last axis
 * fastest); that order breaks ties.
 *
 * @param size window size per axis ({@code >= 1})
 * @param strides step between windows per axis ({@code >= 1})
 * @param padLo padded positions before each axis ({@code >= 0})
 * @param padHi padded positions after each axis ({@code >= 0})
 * @param dilation distance between neighbouring taps per axis ({@code >= 1})
 */
public record Window(Ints size, Ints strides, Ints padLo, Ints padHi, Ints dilation) {
    /** Validates lengths and ranges. */
    public Window {
        int r = size.size();
        if (strides.size() != r || padLo.size() != r || padHi.size() != r || dilation.size() != r) {
            throw Rules.error("window: attributes size " + size + ", strides " + strides + ", padLo " + padLo + ", padHi " + padHi
                    + " and dilation " + dilation + " must have one entry per axis each");
        }
        Rules.requireAtLeast("window", "size", size, 1);
        Rules.requireAtLeast("window", "strides", strides, 1);
        Rules.requireAtLeast("window", "padLo", padLo, 0);
        Rules.requireAtLeast("window", "padHi", padHi, 0);
        Rules.requireAtLeast("window", "dilation", dilation, 1);
    }

    /** A window without padding or dilation. */
    public static Window of(int[] size, int[] strides) {
        int r = size.length;
        return new Window(Ints.of(size), Ints.of(strides), Ints.filled(r, 0), Ints.filled(r, 0), Ints.filled(r, 1));
    }

    /** Number of axes. */
    public int rank() { return size.size(); }

    /** The span of the dilated window on axis {@code a}: {@code (size - 1) * dilation + 1}. */
    public int extent(int a) { return (size.get(a) - 1) * dilation.get(a) + 1; }

    /** Whether axis {@code a} is not windowed at all (window 1, stride 1, no padding): a batch or channel axis. */
    public boolean isIdentity(int a) {
        return size.get(a) == 1 && strides.get(a) == 1 && padLo.get(a) == 0 && padHi.get(a) == 0;
    }

    /** Number of taps in one window (the product of the sizes). */
    public long taps() {
        long n = 1;
        for (int a = 0; a < rank(); a++) n *= size.get(a);
        return n;
    }

    /**
     * The shape of the windows' grid over an operand of shape {@code x}.
     *
     * @throws dev.adjoint.graph.ShapeException naming {@code op}, the axis and the attribute when the
     *     window has the wrong rank or is larger than the padded axis
     */
    public Shape output(String op, Shape x) {
        if (x.rank() != rank()) {
            throw Rules.error(op + ": the window has " + rank() + " axes (size " + size + ") but the operand " + x + " has rank "
                    + x.rank() + "; give window size, strides, padding and dilation for every axis (1, 1, 0, 1 on batch and channel axes)");
        }
        int[] out = new int[rank()];
        for (int a = 0; a < rank(); a++) {
            long padded = (long) x.dim(a) + padLo.get(a) + padHi.get(a);
            if (extent(a) > padded) {
                throw Rules.error(op + ": on axis " + a + " the window of size " + size.get(a) + " and dilation " + dilation.get(a)
                        + " spans " + extent(a) + " positions but the padded axis has " + padded + " (" + x.dim(a) + " + padLo "
                        + padLo.get(a) + " + padHi " + padHi.get(a) + "); operand " + x + ", window " + this.attributes());
            }
            out[a] = (int) ((padded - extent(a)) / strides.get(a) + 1);
        }
        return Shape.of(out);
    }

    /**
     * This window moved through a transpose: for {@code y = transpose(x, perm)}, a windowed op over
     * {@code y} with this window equals the transpose by {@code perm} of the op over {@code x} with the
     * returned window (axis {@code perm[i]} of {@code x} gets this window's attributes of axis {@code i}).
     */
    public Window throughTranspose(Ints perm) {
        int r = rank();
        int[] k = new int[r], s = new int[r], lo = new int[r], hi = new int[r], d = new int[r];
        for (int i = 0; i < r; i++) {
            int a = perm.get(i);
            k[a] = size.get(i);
            s[a] = strides.get(i);
            lo[a] = padLo.get(i);
            hi[a] = padHi.get(i);
            d[a] = dilation.get(i);
        }
        return new Window(Ints.of(k), Ints.of(s), Ints.of(lo), Ints.of(hi), Ints.of(d));
    }

    /** A short rendering for errors and DOT labels. */
    public String attributes() {
        boolean pad = !padLo.all(0) || !padHi.all(0);
        return "window=" + size + " strides=" + strides + (pad ? " padLo=" + padLo + " padHi=" + padHi : "")
                + (dilation.all(1) ? "" : " dilation=" + dilation);
    }
}
