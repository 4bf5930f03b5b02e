package dev.adjoint.cpu;

import dev.adjoint.kernels.WorkSplitter;

/**
 * The indexing kernels: gather (numpy take), take_along_axis (torch.gather) and scatter_add, over
 * every storage type and i32 or i64 indices. Every index is checked; one out of range is an
 * {@link IndexOutOfBoundsException} giving the index, its position in the indices, the axis and its
 * size (the plan adds the node). Work runs on the calling thread in a fixed order, so results
 * (including the order in which repeated scatter targets accumulate) do not depend on threads.
 */
final class IndexSteps {
    private IndexSteps() {}

    static long index(Object indices, int at) {
        return indices instanceof int[] i ? i[at] : ((long[]) indices)[at];
    }

    /** An index in the data out of its axis's range (distinct from a kernel's own array bounds errors). */
    static final class IndexRangeException extends IndexOutOfBoundsException {
        IndexRangeException(String message) { super(message); }
    }

    static IndexRangeException outOfRange(long v, long position, int axis, int n) {
        return new IndexRangeException("index " + v + " at position " + position + " of the indices is out of range for axis "
                + axis + " of size " + n);
    }

    /**
     * gather over dense operands: {@code out[o, j, k] = x[o, idx[j], k]} with {@code o} the axes
     * before {@code axis} and {@code k} those after; each {@code k} run is one array copy.
     */
    record Gather(int x, int xOff, int indices, int iOff, int outer, int n, int inner, int count, int axis, int output)
            implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            Object xs = buffers[x], ix = buffers[indices], out = buffers[output];
            for (int j = 0; j < count; j++) {
                long v = index(ix, iOff + j);
                if (v < 0 || v >= n) throw outOfRange(v, j, axis, n);
            }
            if (inner == 1 && out instanceof float[] o && xs instanceof float[] a && ix instanceof int[] id) {
                for (int r = 0; r < outer; r++) {
                    int xb = xOff + r * n, ob = r * count;
                    for (int j = 0; j < count; j++) o[ob + j] = a[xb + id[iOff + j]];
                }
                return;
            }
            for (int r = 0; r < outer; r++) {
                for (int j = 0; j < count; j++) {
                    int at = (int) index(ix, iOff + j);
                    System.arraycopy(xs, xOff + (r * n + at) * inner, out, (r * count + j) * inner, inner);
                }
            }
        }
        @Override public String kernel() { return "gather"; }
    }

    /**
     * take_along_axis: {@code out[p] = x[p with its axis coordinate replaced by idx[p]]}, walking the
     * indices' lines along their last axis.
     *
     * @param xStrides the operand's strides with the axis's own stride set to 0 (the index supplies it)
     */
    record TakeAlongAxis(Lines lines, int len, int axis, int n, int axisStride, boolean lastIsAxis,
                         int x, int xOff, int xLast, int indices, int iOff, int iLast, int output) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            Object xs = buffers[x], ix = buffers[indices], out = buffers[output];
            lines.start(xOff, iOff, 0);
            long line = 0;
            while (lines.next()) {
                int bx = lines.base[0], bi = lines.base[1], bo = lines.base[2];
                for (int j = 0; j < len; j++) {
                    long v = index(ix, bi + j * iLast);
                    if (v < 0 || v >= n) throw outOfRange(v, line * len + j, axis, n);
                    int src = bx + (int) v * axisStride + (lastIsAxis ? 0 : j * xLast);
                    switch (xs) {
                        case float[] a -> ((float[]) out)[bo + j] = a[src];
                        case double[] a -> ((double[]) out)[bo + j] = a[src];
                        case int[] a -> ((int[]) out)[bo + j] = a[src];
                        case long[] a -> ((long[]) out)[bo + j] = a[src];
                        default -> throw new IllegalStateException();
                    }
                }
                line++;
            }
        }
        @Override public String kernel() { return "take_along_axis"; }
    }

    /**
     * scatter_add: the output starts as {@code x} (copied from its view, or zeroed when x is a zero
     * constant) and every update is added at its target, in row-major order of the updates.
     *
     * <p>Rows: when the index is constant along the updates' last axis (the embedding gradient's
     * broadcast ids) and that axis is not the scatter axis, each line is one contiguous run added at
     * once. When, in addition, x is zeros and the output is the plan's own output array (no other
     * step writes it), a run does not clear the whole output: it zeroes only the rows the previous
     * run wrote, then adds. For an embedding gradient that is 512 rows of 128 instead of all 32,000
     * (16 MB) of them. All indices are checked before anything is written, so a failed run leaves
     * the record of written rows true and the plan usable.
     */
    static final class ScatterAdd implements Step {
        final Lines lines;
        final int len, axis, n, axisStride;
        final boolean lastIsAxis, rows;
        final int indices, iOff, iLast, updates, uOff, uLast, output, outSize;
        /** Copies x into the output; null when x is zeros. */
        final Step init;
        /** Set by the planner when the output is a plan output that only this step writes. */
        boolean sparseReset;
        private final int[] dirty;
        private int dirtyCount;

        ScatterAdd(Lines lines, int len, int axis, int n, int axisStride, boolean lastIsAxis, boolean rows,
                   int indices, int iOff, int iLast, int updates, int uOff, int uLast, int output, int outSize, Step init) {
            this.lines = lines;
            this.len = len;
            this.axis = axis;
            this.n = n;
            this.axisStride = axisStride;
            this.lastIsAxis = lastIsAxis;
            this.rows = rows;
            this.indices = indices;
            this.iOff = iOff;
            this.iLast = iLast;
            this.updates = updates;
            this.uOff = uOff;
            this.uLast = uLast;
            this.output = output;
            this.outSize = outSize;
            this.init = init;
            this.dirty = rows && init == null ? new int[(int) lines.count()] : null;
        }

        @Override public int output() { return output; }

        @Override public String kernel() {
            return "scatter_add" + (rows ? " (rows" + (sparseReset && init == null ? ", resets only the rows it wrote" : "") + ")" : "");
        }

        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            Object ix = buffers[indices], up = buffers[updates], out = buffers[output];
            check(ix);
            if (init != null) init.run(buffers, splitter);
            else if (sparseReset && dirty != null) {
                for (int r = 0; r < dirtyCount; r++) TypedKernels.zero(out, dirty[r], len);
            } else TypedKernels.zero(out, 0, outSize);
            dirtyCount = 0;
            lines.start(0, iOff, uOff);
            while (lines.next()) {
                int bo = lines.base[0], bi = lines.base[1], bu = lines.base[2];
                if (rows) {
                    int dst = bo + (int) index(ix, bi) * axisStride;
                    if (dirty != null) dirty[dirtyCount++] = dst;
                    addRun(up, bu, out, dst, len);
                    continue;
                }
                for (int j = 0; j < len; j++) {
                    int dst = bo + (int) index(ix, bi + j * iLast) * axisStride + (lastIsAxis ? 0 : j);
                    int src = bu + j * uLast;
                    switch (out) {
                        case float[] o -> o[dst] += ((float[]) up)[src];
                        case double[] o -> o[dst] += ((double[]) up)[src];
                        case int[] o -> o[dst] += ((int[]) up)[src];
                        case long[] o -> o[dst] += ((long[]) up)[src];
                        default -> throw new IllegalStateException();
                    }
                }
            }
        }

        private void check(Object ix) {
            lines.start(0, iOff, uOff);
            long line = 0;
            while (lines.next()) {
                int bi = lines.base[1];
                int m = rows ? 1 : len;
                for (int j = 0; j < m; j++) {
                    long v = index(ix, bi + j * iLast);
                    if (v < 0 || v >= n) throw outOfRange(v, line * len + j, axis, n);
                }
                line++;
            }
        }

        private static void addRun(Object up, int src, Object out, int dst, int len) {
            switch (out) {
                case float[] o -> { float[] u = (float[]) up; for (int j = 0; j < len; j++) o[dst + j] += u[src + j]; }
                case double[] o -> { double[] u = (double[]) up; for (int j = 0; j < len; j++) o[dst + j] += u[src + j]; }
                case int[] o -> { int[] u = (int[]) up; for (int j = 0; j < len; j++) o[dst + j] += u[src + j]; }
                case long[] o -> { long[] u = (long[]) up; for (int j = 0; j < len; j++) o[dst + j] += u[src + j]; }
                default -> throw new IllegalStateException();
            }
        }
    }
}
