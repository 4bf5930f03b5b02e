package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * Sum and max over any set of axes of a strided input, written densely over the kept axes
 * (in their original order).
 *
 * <p>Two memory-friendly strategies, picked by where the input's innermost (non-unit) axis
 * goes. If it is reduced, the reduced axes are moved last (a stride permutation, no copy)
 * and each output element reduces contiguous rows with vector accumulators
 * ({@link FusedProgram#runReduce}). If it is kept, whole rows are added into the output row
 * with vector adds, one reduced row after another. Either way every output element sees
 * its inputs in one fixed order, whatever the thread count, so results are reproducible.
 */
public final class Reduce {
    private Reduce() {}

    private static final FusedProgram IDENTITY;
    static {
        FusedProgram.Builder b = FusedProgram.builder(1);
        IDENTITY = b.build(b.load(0));
    }

    /** Columns per work item when accumulating rows: 8 KiB of output stays in L1 while rows stream by. */
    static final int COLS = 2048;

    /**
     * Reduces {@code x} (of {@code shape}, read through {@code xStrides}) over {@code axes}.
     *
     * @param op SUM or MAX
     * @param shape input shape
     * @param x input array
     * @param xOff input offset
     * @param xStrides input strides, one per axis
     * @param axes axes to reduce, distinct, any order (empty: a copy)
     * @param out dense destination of {@code prod(kept extents)} elements
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void reduce(ReduceKernelOp op, int[] shape, float[] x, int xOff, int[] xStrides, int[] axes,
                              float[] out, int outOff, WorkSplitter splitter) {
        int r = shape.length;
        if (xStrides.length != r) throw new IllegalArgumentException("reduce: " + xStrides.length + " strides for shape " + Arrays.toString(shape));
        boolean[] red = new boolean[r];
        for (int a : axes) {
            if (a < 0 || a >= r) throw new IllegalArgumentException("reduce: axis " + a + " out of range for rank " + r);
            if (red[a]) throw new IllegalArgumentException("reduce: axis " + a + " listed twice in " + Arrays.toString(axes));
            red[a] = true;
        }
        int inner = -1;
        for (int d = r - 1; d >= 0; d--) if (shape[d] != 1) { inner = d; break; }
        long total = 1;
        for (int s : shape) total *= s;
        if (inner < 0 || red[inner] || total == 0) {
            // Reduced axes last, in order: a stride permutation, the data is not moved.
            int[] pShape = new int[r], pStr = new int[r];
            int k = 0;
            for (int d = 0; d < r; d++) if (!red[d]) { pShape[k] = shape[d]; pStr[k++] = xStrides[d]; }
            for (int d = 0; d < r; d++) if (red[d]) { pShape[k] = shape[d]; pStr[k++] = xStrides[d]; }
            FusedProgram.Workspace g = IDENTITY.workspace();
            g.bind(0, x, xOff, pStr);
            IDENTITY.runBound(g, pShape, op, axes.length, out, outOff, splitter);
            return;
        }
        reduceRows(op, shape, x, xOff, xStrides, red, inner, out, outOff, splitter);
    }

    private static void reduceRows(ReduceKernelOp op, int[] shape, float[] x, int xOff, int[] xStrides, boolean[] red,
                                   int inner, float[] out, int outOff, WorkSplitter splitter) {
        int r = shape.length;
        int nk = 0, nr = 0;
        for (int d = 0; d < r; d++) if (d != inner && shape[d] != 1) { if (red[d]) nr++; else nk++; }
        int[] kShape = new int[nk], kStr = new int[nk], rShape = new int[nr], rStr = new int[nr];
        long outer = 1, rows = 1;
        nk = 0; nr = 0;
        for (int d = 0; d < r; d++) {
            if (d == inner || shape[d] == 1) continue;
            if (red[d]) { rShape[nr] = shape[d]; rStr[nr++] = xStrides[d]; rows *= shape[d]; }
            else { kShape[nk] = shape[d]; kStr[nk++] = xStrides[d]; outer *= shape[d]; }
        }
        final int n = shape[inner], sI = xStrides[inner];
        if (outOff < 0 || outOff + outer * n > out.length) throw new IllegalArgumentException("reduce: output does not fit");
        final long blocks = (n + COLS - 1) / COLS, items = outer * blocks, nRows = rows;
        long work = outer * n * rows;
        int t = splitter.threads();
        int chunks = (t <= 1 || work < FusedProgram.MIN_PARALLEL) ? 1
                : (int) Math.min(items, Math.max(1, Math.min(4L * t, work / (FusedProgram.MIN_PARALLEL / 2))));
        WorkSplitter.Chunk body = ci -> {
            int[] rIdx = new int[rShape.length];
            float[] tmp = sI == 1 ? null : new float[COLS];
            long i0 = items * ci / chunks, i1 = items * (ci + 1) / chunks;
            for (long it = i0; it < i1; it++) {
                long o = it / blocks;
                int c0 = (int) (it % blocks) * COLS, len = Math.min(COLS, n - c0);
                long q = o;
                int kBase = xOff;
                for (int d = kShape.length - 1; d >= 0; d--) {
                    kBase += (int) (q % kShape[d]) * kStr[d];
                    q /= kShape[d];
                }
                int dst = outOff + (int) (o * n) + c0;
                if (nRows == 0) { BlockOps.fill(out, dst, len, op.identity()); continue; }
                Arrays.fill(rIdx, 0);
                int rBase = 0;
                for (long row = 0; row < nRows; row++) {
                    int src = kBase + rBase + c0 * sI;
                    float[] a = x;
                    if (sI != 1) { BlockOps.gather(x, src, sI, tmp, 0, len); a = tmp; src = 0; }
                    if (row == 0) System.arraycopy(a, src, out, dst, len);
                    else BlockOps.accumulate(op, out, dst, a, src, len);
                    for (int d = rShape.length - 1; d >= 0; d--) {
                        rBase += rStr[d];
                        if (++rIdx[d] < rShape[d]) break;
                        rBase -= rIdx[d] * rStr[d];
                        rIdx[d] = 0;
                    }
                }
            }
        };
        if (chunks <= 1) body.run(0);
        else splitter.forEach(chunks, body);
    }
}
