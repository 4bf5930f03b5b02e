package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * Sum and max over any set of axes of a strided input, written densely over the kept axes
 * (in their original order).
 *
 * <p>Two memory-friendly strategies, picked by where the input's innermost (non-unit) axis
 * goes. If it is reduced, the reduced axes are moved last (a stride permutation, no copy)
 * and each output element reduces contiguous rows with vector accumulators
 * (the reduction path of {@link FusedRun}). If it is kept, whole rows are added into the output row
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
    /** Kept inner extents below this take the wide path when the reduced rows are contiguous (see {@code Prepared.wide}). */
    static final int WIDE_ROWS = 256;
    /** Longest flat run the wide path sums at a time (a multiple of the row and of the vector). */
    static final int MAX_WIDE = 2048;

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
        prepare(op, shape, xStrides, axes).run(x, xOff, out, outOff, splitter);
    }

    /**
     * Works out once how to reduce inputs of {@code shape} read through {@code xStrides} over
     * {@code axes}, for a plan that runs the same reduction many times: {@link Prepared#run}
     * then allocates nothing.
     *
     * @param op SUM or MAX
     * @param shape input shape
     * @param xStrides input strides, one per axis
     * @param axes axes to reduce, distinct, any order (empty: a copy)
     * @return the prepared reduction
     */
    public static Prepared prepare(ReduceKernelOp op, int[] shape, int[] xStrides, int[] axes) {
        int r = shape.length;
        if (xStrides.length != r) throw new IllegalArgumentException("reduce: " + xStrides.length + " strides for shape " + Arrays.toString(shape));
        boolean[] red = new boolean[r];
        for (int a : axes) {
            if (a < 0 || a >= r) throw new IllegalArgumentException("reduce: axis " + a + " out of range for rank " + r);
            if (red[a]) throw new IllegalArgumentException("reduce: axis " + a + " listed twice in " + Arrays.toString(axes));
            red[a] = true;
        }
        return new Prepared(op, shape.clone(), xStrides.clone(), red, axes.length);
    }

    /**
     * A reduction with its loop structure worked out (see {@link #prepare}). It serves one run at
     * a time; its per-chunk scratch grows on first use and is then reused.
     */
    public static final class Prepared implements WorkSplitter.Chunk {
        private final ReduceKernelOp op;
        private final int reducedAxes;
        // Reduced innermost axis: the reduced axes moved last, for the reduction path of FusedRun.
        private final int[] pShape, pStr;
        // Kept innermost axis (or the last kept axis, when contiguous): rows added into output rows.
        private final int[] kShape, kStr, rShape, rStr;
        private final int n, sI;
        private final long blocks, items, nRows, outLength, work;
        private final boolean rows;
        /**
         * When the reduced rows are short (kept inner extent {@code n} below {@value #WIDE_ROWS}) and
         * follow each other contiguously, the rows are summed {@code wide / n} at a time as one
         * flat run of {@code wide} floats (a multiple of both {@code n} and the vector length), then
         * the partial rows are folded: one vector loop instead of one call per row (channel sums of
         * NHWC rows of 6 ran at ~7 ns per row). 0 when not applicable.
         */
        private final int wide;
        /**
         * Reduced innermost axis with the reduced axes one contiguous run of {@link #runLen}
         * floats per output (a sum-all, row sums of a dense matrix): the run is summed here, in
         * the reduction path's fixed pieces ({@link FusedRun#PIECE}) and blocks
         * ({@link FusedProgram#block} of the identity program), so the bits are the ones that path
         * gives, without its per-block instruction dispatch and per-row index arithmetic (sum-all
         * measured 0.73 of read bandwidth through it against 0.95 for the bare block loop).
         */
        private final boolean runs;
        private final long runLen, runPieces, runItems;
        private final int[] oShape, oStr;
        private double[] partial = new double[0];
        private float[][] lanes = new float[0][];
        private int[][] rIdx = new int[0][];
        private float[][] tmp = new float[0][];
        private float[][] wideAcc = new float[0][];
        // The run in flight, read by the chunks.
        private float[] x, out;
        private int xOff, outOff, chunks;

        private Prepared(ReduceKernelOp op, int[] shape, int[] xStrides, boolean[] red, int reducedAxes) {
            this.op = op;
            this.reducedAxes = reducedAxes;
            int r = shape.length;
            int inner = -1;
            for (int d = r - 1; d >= 0; d--) if (shape[d] != 1) { inner = d; break; }
            if (inner >= 0 && red[inner]) {
                // The innermost axis is reduced: if the last kept axis is contiguous (a global pool
                // read through an NCHW view of NHWC data), it is the rows' axis instead, and the
                // reduced axes are strided rows of it (12 us instead of 29-216 us through the
                // reduction path for ShuffleNet's 7x7x1024 pool).
                int kept = -1;
                for (int d = r - 1; d >= 0; d--) if (shape[d] != 1 && !red[d]) { kept = d; break; }
                if (kept >= 0 && xStrides[kept] == 1) inner = kept;
            }
            long total = 1;
            for (int s : shape) total *= s;
            rows = !(inner < 0 || red[inner] || total == 0);
            if (!rows) {
                pShape = new int[r];
                pStr = new int[r];
                int k = 0;
                for (int d = 0; d < r; d++) if (!red[d]) { pShape[k] = shape[d]; pStr[k++] = xStrides[d]; }
                for (int d = 0; d < r; d++) if (red[d]) { pShape[k] = shape[d]; pStr[k++] = xStrides[d]; }
                kShape = kStr = rShape = rStr = null;
                n = sI = 0;
                blocks = items = nRows = work = 0;
                wide = 0;
                long kept = 1;
                for (int d = 0; d < r; d++) if (!red[d]) kept *= shape[d];
                outLength = kept;
                // The reduced axes (extent 1 ignored) as one dense run: innermost stride 1, each outer
                // stride the product of the extents inside it.
                int nKept = r - reducedAxes;
                long want = 1;
                boolean dense = true;
                for (int d = r - 1; d >= nKept; d--) {
                    if (pShape[d] == 1) continue;
                    if (pStr[d] != want) dense = false;
                    want *= pShape[d];
                }
                runs = dense && total > 0;
                runLen = want;
                runPieces = (want + FusedRun.PIECE - 1) / FusedRun.PIECE;
                runItems = kept * runPieces;
                oShape = Arrays.copyOf(pShape, nKept);
                oStr = Arrays.copyOf(pStr, nKept);
                return;
            }
            pShape = pStr = null;
            runs = false;
            runLen = runPieces = runItems = 0;
            oShape = oStr = null;
            int nk = 0, nr = 0;
            for (int d = 0; d < r; d++) if (d != inner && shape[d] != 1) { if (red[d]) nr++; else nk++; }
            kShape = new int[nk]; kStr = new int[nk]; rShape = new int[nr]; rStr = new int[nr];
            long outer = 1, rowCount = 1;
            nk = 0; nr = 0;
            for (int d = 0; d < r; d++) {
                if (d == inner || shape[d] == 1) continue;
                if (red[d]) { rShape[nr] = shape[d]; rStr[nr++] = xStrides[d]; rowCount *= shape[d]; }
                else { kShape[nk] = shape[d]; kStr[nk++] = xStrides[d]; outer *= shape[d]; }
            }
            n = shape[inner];
            sI = xStrides[inner];
            blocks = (n + COLS - 1) / COLS;
            items = outer * blocks;
            nRows = rowCount;
            outLength = outer * n;
            work = outer * n * rowCount;
            boolean contiguous = sI == 1 && nr > 0;
            for (int d = nr - 1, want = n; contiguous && d >= 0; want *= rShape[d], d--) if (rStr[d] != want) contiguous = false;
            int lanes = BlockOps.TILE, w = n / gcd(n, lanes) * lanes;
            wide = contiguous && n < WIDE_ROWS && w <= MAX_WIDE && rowCount * n >= 2L * w ? w : 0;
        }

        private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

        /** Reduces {@code x} (from {@code xOff}) into {@code out} (dense, from {@code outOff}). */
        public void run(float[] x, int xOff, float[] out, int outOff, WorkSplitter splitter) {
            if (runs) {
                runs(x, xOff, out, outOff, splitter);
                return;
            }
            if (!rows) {
                FusedRun g = FusedRun.attach(IDENTITY);
                g.bind(0, x, xOff, pStr);
                g.execute(pShape, reducedAxes, op, out, outOff, splitter);
                return;
            }
            if (outOff < 0 || outOff + outLength > out.length) throw new IllegalArgumentException("reduce: output does not fit");
            int c = Parallelism.chunks(splitter, 4.0 * (work + outLength), work, items);
            if (rIdx.length < c) {
                rIdx = Arrays.copyOf(rIdx, c);
                tmp = Arrays.copyOf(tmp, c);
                for (int i = 0; i < c; i++) {
                    if (rIdx[i] == null) rIdx[i] = new int[rShape.length];
                    if (tmp[i] == null && sI != 1) tmp[i] = new float[COLS];
                }
            }
            if (wide > 0 && wideAcc.length < c) {
                wideAcc = Arrays.copyOf(wideAcc, c);
                for (int i = 0; i < c; i++) if (wideAcc[i] == null) wideAcc[i] = new float[wide];
            }
            this.x = x; this.xOff = xOff; this.out = out; this.outOff = outOff; this.chunks = c;
            try {
                if (c <= 1) run(0);
                else splitter.forEach(c, this);
            } finally {
                this.x = null; this.out = null; // do not keep the caller's arrays alive
            }
        }

        private void runs(float[] x, int xOff, float[] out, int outOff, WorkSplitter splitter) {
            if (outOff < 0 || outOff + outLength > out.length) throw new IllegalArgumentException("reduce: output does not fit");
            long lo = xOff, hi = xOff + runLen - 1;
            for (int d = 0; d < oShape.length; d++) {
                long span = (long) (oShape[d] - 1) * oStr[d];
                if (span < 0) lo += span; else hi += span;
            }
            if (lo < 0 || hi >= x.length) throw new IllegalArgumentException("reduce: input reads [" + lo + ", " + hi
                    + "] outside its array of " + x.length);
            double runTotal = (double) runLen * outLength;
            int c = Parallelism.chunks(splitter, 4.0 * runTotal, 0, runItems);
            if (runPieces > 1 && partial.length < runItems) partial = new double[(int) runItems];
            if (lanes.length < c) {
                lanes = Arrays.copyOf(lanes, c);
                for (int i = 0; i < c; i++) if (lanes[i] == null) lanes[i] = new float[Math.max(64, BlockOps.TILE)];
            }
            this.x = x; this.xOff = xOff; this.out = out; this.outOff = outOff; this.chunks = c;
            try {
                if (c <= 1) run(0);
                else splitter.forEach(c, this);
            } finally {
                this.x = null; this.out = null;
            }
            if (runPieces > 1) {
                boolean sum = op == ReduceKernelOp.SUM;
                for (long o = 0; o < outLength; o++) {
                    double acc = sum ? 0.0 : Double.NEGATIVE_INFINITY;
                    for (long q = 0; q < runPieces; q++) {
                        double v = partial[(int) (o * runPieces + q)];
                        acc = sum ? acc + v : Math.max(acc, v);
                    }
                    out[outOff + (int) o] = (float) acc;
                }
            }
        }

        /** Items {@code [i0, i1)} (output, piece) of the {@link #runs} case. */
        private void runItems(int ci) {
            long i0 = runItems * ci / chunks, i1 = runItems * (ci + 1) / chunks;
            int blk = IDENTITY.block;
            float[] ln = lanes[ci], src = x;
            boolean sum = op == ReduceKernelOp.SUM;
            for (long it = i0; it < i1; it++) {
                long o = it / runPieces, q = it % runPieces, rem = o;
                int base = xOff;
                for (int d = oShape.length - 1; d >= 0; d--) {
                    base += (int) (rem % oShape[d]) * oStr[d];
                    rem /= oShape[d];
                }
                int s = base + (int) (q * FusedRun.PIECE), n = (int) (Math.min((q + 1) * FusedRun.PIECE, runLen) - q * FusedRun.PIECE);
                double acc;
                if (sum) {
                    acc = 0.0;
                    for (int b0 = 0; b0 < n; b0 += blk) acc += BlockOps.sum(src, s + b0, Math.min(blk, n - b0), ln);
                } else {
                    acc = Double.NEGATIVE_INFINITY;
                    for (int b0 = 0; b0 < n; b0 += blk) acc = Math.max(acc, BlockOps.max(src, s + b0, Math.min(blk, n - b0)));
                }
                if (runPieces > 1) partial[(int) it] = acc;
                else out[outOff + (int) o] = (float) acc;
            }
        }

        /** Runs chunk {@code ci} of the run in flight (the {@link WorkSplitter.Chunk} contract). */
        @Override public void run(int ci) {
            if (runs) {
                runItems(ci);
                return;
            }
            int[] idx = rIdx[ci];
            float[] scratch = tmp[ci];
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
                if (wide > 0) { wideRows(wideAcc[ci], kBase, dst); continue; }
                Arrays.fill(idx, 0);
                int rBase = 0;
                for (long row = 0; row < nRows; row++) {
                    int src = kBase + rBase + c0 * sI;
                    float[] a = x;
                    if (sI != 1) { BlockOps.gather(x, src, sI, scratch, 0, len); a = scratch; src = 0; }
                    if (row == 0) System.arraycopy(a, src, out, dst, len);
                    else BlockOps.accumulate(op, out, dst, a, src, len);
                    for (int d = rShape.length - 1; d >= 0; d--) {
                        rBase += rStr[d];
                        if (++idx[d] < rShape[d]) break;
                        rBase -= idx[d] * rStr[d];
                        idx[d] = 0;
                    }
                }
            }
        }

        /** Output row {@code out[dst..dst+n)} of the {@link #wide} case: reduces the contiguous rows from {@code src}. */
        private void wideRows(float[] acc, int src, int dst) {
            int w = wide, per = w / n;
            long full = nRows / per;
            System.arraycopy(x, src, acc, 0, w);
            for (long i = 1; i < full; i++) BlockOps.accumulate(op, acc, 0, x, src + (int) (i * w), w);
            System.arraycopy(acc, 0, out, dst, n);
            for (int g = 1; g < per; g++) BlockOps.accumulate(op, out, dst, acc, g * n, n);
            for (long row = full * per; row < nRows; row++) BlockOps.accumulate(op, out, dst, x, src + (int) (row * n), n);
        }
    }
}
