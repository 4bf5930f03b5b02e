package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * Data movement as memory-bound copies over dense row-major inputs: pad, rev, transpose and
 * concatenate (a slice is a strided view, copied by {@link Elementwise#copy} when a plan
 * materializes it). Every output element is written exactly once (pad writes its
 * zeros in the same pass as the copied data), and the innermost axis is moved with
 * {@code System.arraycopy} or vector loads whenever the layout allows.
 */
public final class Movement {
    private Movement() {}

    private static long product(int[] s) {
        long p = 1;
        for (int v : s) p *= v;
        return p;
    }

    /** Chunks for moving {@code elements} floats (each read once and written once). */
    private static int chunks(long elements, WorkSplitter splitter, long maxItems) {
        return Parallelism.chunks(splitter, 8.0 * elements, 0, maxItems);
    }

    private static void checkOut(String op, float[] out, int outOff, long n) {
        if (outOff < 0 || outOff + n > out.length) {
            throw new IllegalArgumentException(op + ": output of " + n + " elements at offset " + outOff
                    + " does not fit an array of " + out.length);
        }
    }

    /**
     * Pads a dense input with zeros: {@code lo}/{@code hi} per axis (negative values crop),
     * {@code interior} zeros between neighbouring elements.
     *
     * @param shape input shape
     * @param x input array
     * @param xOff input offset
     * @param lo elements before each axis
     * @param hi elements after each axis
     * @param interior elements between neighbours
     * @param os the output shape, as the graph's {@code Pad.infer} computes it (the one shape rule)
     * @param out dense destination of {@code prod(os)} elements
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void pad(int[] shape, float[] x, int xOff, int[] lo, int[] hi, int[] interior, int[] os,
                           float[] out, int outOff, WorkSplitter splitter) {
        int r = shape.length;
        if (lo.length != r || hi.length != r || interior.length != r || os.length != r) {
            throw new IllegalArgumentException("pad: attribute or output ranks differ from rank " + r);
        }
        long total = product(os);
        checkOut("pad", out, outOff, total);
        if (total == 0) return;
        if (r == 0) { out[outOff] = x[xOff]; return; }
        int[] xs = Elementwise.denseStrides(shape);
        final int n = os[r - 1], inN = shape[r - 1], loN = lo[r - 1], eN = interior[r - 1] + 1;
        final long rows = total / n;
        // Source columns that land inside the row, and where the first one lands.
        final int iStart, iEnd;
        if (inN == 0) { iStart = 0; iEnd = 0; }
        else {
            iStart = (int) Math.max(0, Math.ceilDiv(-(long) loN, eN));
            iEnd = (int) Math.min(inN, Math.floorDiv((long) n - 1 - loN, eN) + 1);
        }
        int chunks = chunks(total, splitter, rows);
        WorkSplitter.Chunk body = ci -> padRows(shape, x, xOff, xs, lo, interior, os, out, outOff,
                rows * ci / chunks, rows * (ci + 1) / chunks, iStart, iEnd);
        if (chunks <= 1) body.run(0);
        else splitter.forEach(chunks, body);
    }

    /** Per thread: the output row's index and each outer axis's source offset (-1: in the padding), for {@link #padRows}. */
    private static final ThreadLocal<int[][]> PAD_INDEX = ThreadLocal.withInitial(() -> new int[][] {new int[4], new int[4]});

    /**
     * Output rows {@code [r0, r1)} of {@link #pad}. The outer index advances as an odometer and
     * each axis's source offset is recomputed only when that axis moves (the divisions per axis
     * per row cost ~18 ns per row: 900 us for NHWC rows of 6 channels over [64, 28, 28, 6]); the
     * short fills and copies of a row move whole vectors, their overrun landing in the row after,
     * which is written next (never past the chunk's last row).
     */
    private static void padRows(int[] shape, float[] x, int xOff, int[] xs, int[] lo, int[] interior, int[] os,
                                float[] out, int outOff, long r0, long r1, int iStart, int iEnd) {
        if (r0 >= r1) return;
        int r = shape.length, n = os[r - 1], loN = lo[r - 1], eN = interior[r - 1] + 1;
        int[][] tl = PAD_INDEX.get();
        if (tl[0].length < r) { tl[0] = new int[r]; tl[1] = new int[r]; }
        int[] oi = tl[0], part = tl[1];
        int outside = 0, src = xOff;
        long q = r0;
        for (int d = r - 2; d >= 0; d--) {
            oi[d] = (int) (q % os[d]);
            q /= os[d];
            part[d] = padPart(oi[d], lo[d], interior[d] + 1, shape[d], xs[d]);
            if (part[d] < 0) outside++; else src += part[d];
        }
        int end = outOff + (int) (r1 * n);
        boolean copies = iStart < iEnd;
        for (long row = r0; row < r1; row++) {
            int dst = outOff + (int) (row * n);
            if (outside > 0 || !copies) BlockOps.fillRun(out, dst, n, end);
            else if (eN == 1) {
                int j0 = loN + iStart, j1 = loN + iEnd;
                if (j0 > 0) BlockOps.fillRun(out, dst, j0, end);
                BlockOps.gatherRun(x, src + iStart, 1, out, dst + j0, j1 - j0, end);
                if (j1 < n) BlockOps.fillRun(out, dst + j1, n - j1, end);
            } else {
                BlockOps.fill(out, dst, n, 0f);
                for (int i = iStart, j = dst + loN + iStart * eN; i < iEnd; i++, j += eN) out[j] = x[src + i];
            }
            for (int d = r - 2; d >= 0; d--) {
                if (part[d] < 0) outside--; else src -= part[d];
                boolean wrap = ++oi[d] == os[d];
                if (wrap) oi[d] = 0;
                part[d] = padPart(oi[d], lo[d], interior[d] + 1, shape[d], xs[d]);
                if (part[d] < 0) outside++; else src += part[d];
                if (!wrap) break;
            }
        }
    }

    /** Source offset contributed by output index {@code od} of an axis, or -1 if it falls in the padding. */
    private static int padPart(int od, int lo, int e, int size, int stride) {
        int rel = od - lo;
        if (rel < 0 || rel % e != 0 || rel / e >= size) return -1;
        return (rel / e) * stride;
    }

    /**
     * Reverses a dense input along {@code axes}.
     *
     * @param shape input (and output) shape
     * @param x input array
     * @param xOff input offset
     * @param axes axes to flip
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void rev(int[] shape, float[] x, int xOff, int[] axes, float[] out, int outOff, WorkSplitter splitter) {
        int[] st = Elementwise.denseStrides(shape);
        int off = xOff;
        boolean[] seen = new boolean[shape.length];
        for (int a : axes) {
            if (a < 0 || a >= shape.length || seen[a]) throw new IllegalArgumentException("rev: bad axes " + Arrays.toString(axes));
            seen[a] = true;
            if (shape[a] > 0) off += (shape[a] - 1) * st[a];
            st[a] = -st[a];
        }
        Elementwise.copy(shape, x, off, st, out, outOff, splitter);
    }

    /**
     * {@code out[i_0..i_{r-1}] = x[j]} with {@code j[perm[d]] = i[d]}: output axis {@code d} is
     * input axis {@code perm[d]}: a copy through the permuted strides, the same path a plan's
     * materialized transposed view takes. When the input's contiguous axis does not stay
     * innermost, the copy moves vector-square tiles transposed in registers (see
     * {@link BlockOps#transposeTile}), so reads and writes both move whole cache lines.
     *
     * @param shape input shape
     * @param x dense input
     * @param xOff input offset
     * @param perm a permutation of {@code 0..rank-1}
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void transpose(int[] shape, float[] x, int xOff, int[] perm, float[] out, int outOff, WorkSplitter splitter) {
        int r = shape.length;
        if (perm.length != r) throw new IllegalArgumentException("transpose: perm " + Arrays.toString(perm) + " for rank " + r);
        int[] xs = Elementwise.denseStrides(shape), os = new int[r], st = new int[r];
        boolean[] seen = new boolean[r];
        for (int d = 0; d < r; d++) {
            if (perm[d] < 0 || perm[d] >= r || seen[perm[d]]) throw new IllegalArgumentException("transpose: " + Arrays.toString(perm) + " is not a permutation");
            seen[perm[d]] = true;
            os[d] = shape[perm[d]];
            st[d] = xs[perm[d]];
        }
        Elementwise.copy(os, x, xOff, st, out, outOff, splitter);
    }

    /**
     * Concatenates dense inputs along {@code axis}; all other extents must agree.
     *
     * @param axis the joined axis
     * @param shapes input shapes
     * @param xs input arrays
     * @param xOffs input offsets
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void concatenate(int axis, int[][] shapes, float[][] xs, int[] xOffs, float[] out, int outOff, WorkSplitter splitter) {
        int k = shapes.length;
        if (k == 0 || xs.length != k || xOffs.length != k) throw new IllegalArgumentException("concatenate: need matching, non-empty inputs");
        int r = shapes[0].length;
        if (axis < 0 || axis >= r) throw new IllegalArgumentException("concatenate: axis " + axis + " out of range for rank " + r);
        long outer = 1;
        for (int d = 0; d < axis; d++) outer *= shapes[0][d];
        final int[] inner = new int[k], cum = new int[k + 1];
        for (int i = 0; i < k; i++) {
            for (int d = 0; d < r; d++) {
                if (d != axis && shapes[i][d] != shapes[0][d]) throw new IllegalArgumentException("concatenate: input " + i
                        + " shape " + Arrays.toString(shapes[i]) + " differs from " + Arrays.toString(shapes[0]) + " off axis " + axis);
            }
            long p = 1;
            for (int d = axis; d < r; d++) p *= shapes[i][d];
            inner[i] = (int) p;
            cum[i + 1] = cum[i] + inner[i];
        }
        final int row = cum[k];
        final long total = outer * row;
        checkOut("concatenate", out, outOff, total);
        if (total == 0) return;
        int chunks = chunks(total, splitter, total / 64);
        final long fOuter = outer;
        WorkSplitter.Chunk body = ci -> {
            long s = ci == 0 ? 0 : (total * ci / chunks) & ~63L, e = ci == chunks - 1 ? total : (total * (ci + 1) / chunks) & ~63L;
            for (long o = s / row; o < fOuter && o * row < e; o++) {
                for (int i = 0; i < k; i++) {
                    long a = Math.max(s, o * row + cum[i]), b = Math.min(e, o * row + cum[i + 1]);
                    if (a >= b) continue;
                    int within = (int) (a - o * row - cum[i]);
                    System.arraycopy(xs[i], xOffs[i] + (int) (o * inner[i]) + within, out, outOff + (int) a, (int) (b - a));
                }
            }
        };
        if (chunks <= 1) body.run(0);
        else splitter.forEach(chunks, body);
    }
}
