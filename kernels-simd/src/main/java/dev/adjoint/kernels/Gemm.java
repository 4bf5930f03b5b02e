package dev.adjoint.kernels;

import static dev.adjoint.kernels.GemmMicroKernel.ADD_OLD;
import static dev.adjoint.kernels.GemmMicroKernel.BIAS_COL;
import static dev.adjoint.kernels.GemmMicroKernel.BIAS_ROW;
import static dev.adjoint.kernels.GemmMicroKernel.LAST;
import static dev.adjoint.kernels.GemmMicroKernel.NR;
import static dev.adjoint.kernels.GemmMicroKernel.RELU;


/**
 * Single-precision (batched) matrix multiply with a fused epilogue:
 * {@code C[b] = act(alpha * A[b] B[b] (+ C[b]) + bias)} for every {@code b} in the batch.
 *
 * <p>Structure follows BLIS: for each NC-wide column block of B and each KC-deep slice of K, a
 * KC x NC panel of B is packed into NR-column slivers; for each MC-tall row block of A an
 * MC x KC panel is packed into MR-row slivers; the {@link GemmMicroKernel} then sweeps the
 * MR x NR tiles. The register tile and KC, MC, NC are chosen per machine when the kernel class
 * loads ({@link GemmBlocking#forVectorBits}, from the preferred species' width): on AVX2
 * (16 registers) a 4 x 2-vector tile with KC = 512, MC = 72, NC = 2048 (A panel 147 KB in a
 * 512 KB L2; KC = 512 beat 256 by 6-15% on Zen 3: fewer read-modify-write passes over C); on
 * AVX-512 (32 registers) the wider tile and the blocks recorded in docs/perf/gemm.md.
 * Operands with any strides (so transposed views) are read by packing, never copied whole.
 * When C is at most one vector wide ({@code n <= L}) the {@link GemmNarrow} path runs instead: it
 * packs only B (K x L floats) and reads A in place; when A is one row and B's K axis is contiguous
 * (a transposed weight, as a batch-1 linear layer reads it) the {@link GemmDot} path takes dot
 * products along K with B read in place.
 *
 * <p>Determinism: every output element's K-sum is formed in the same order whatever the thread
 * count: the K blocking depends only on K, work is split only along M, N or the batch on
 * sliver-aligned boundaries (which thread packs which slivers of a shared B panel changes no
 * value), and edge tiles run the same zero-padded arithmetic as inner ones.
 * The choice between the packed path and the unpacked small-matrix path depends only on the
 * shape.
 */
public final class Gemm {
    private Gemm() {}

    /**
     * At or below this M*N*K the unpacked direct path is used. Measured crossover (GFLOP/s, direct
     * vs packed): 33^3 24 vs 20, 48^3 48 vs 43, 64^3 50 vs 52, 128^3 55 vs 65-70.
     */
    static final long SMALL_VOLUME = 64L * 64 * 64;

    /**
     * How a call is spread over threads ({@link #splitMode}): not at all; whole matrices of the batch
     * per chunk; N split (each chunk packs its columns of B and all of A); M split with each chunk
     * packing all of B; M split around one packed B that the chunks share. Package-private so tests
     * can force each one.
     */
    static final int MODE_WHOLE = 0, MODE_BATCH = 1, MODE_SPLIT_N = 2, MODE_SPLIT_M = 3, MODE_SHARED_B = 4;
    /** {@link #sgemm}'s split argument: choose by shape ({@link #splitMode}). */
    static final int SPLIT_AUTO = -1;
    /**
     * Largest shared packed B (K x N rounded to slivers, floats): 4M floats = 16 MB covers 2048^2.
     * Larger products split M with a B panel per chunk (as before wave 5), whose packing is a
     * smaller share of their time.
     */
    static final long SHARED_MAX_FLOATS = 4L << 20;
    /** Groups of slivers per K block of a shared panel, per chunk: the unit one thread claims and packs. */
    static final int GROUPS_PER_CHUNK = 2;
    /**
     * A single packed matrix with fewer rows than this per thread splits N rather than sharing B
     * ({@link #splitMode}): an M share that small reuses each B sliver over too few rows, and the shared
     * panel moves between the cores. Measured on Zen 5 (docs/perf/gemm.md, "Wave 7"): N beat shared B
     * at M = 128 on 2 threads, not at M = 256.
     */
    static final int N_SPLIT_ROWS = 128;

    /**
     * Batched GEMM with strided operands and a fused epilogue.
     *
     * <p>Element (i, p) of {@code A[bi]} is {@code a[aOff + bi*aBatchStride + i*aRowStride + p*aColStride]},
     * element (p, j) of {@code B[bi]} is {@code b[bOff + bi*bBatchStride + p*bRowStride + j*bColStride]}, and
     * element (i, j) of {@code C[bi]} is {@code c[cOff + bi*cBatchStride + i*ldc + j]}. A transposed operand is
     * passed by swapping its strides. Strides must be non-negative; a batch stride of 0 shares one
     * operand across the batch (C's rows and batches must not overlap).
     *
     * <p>Each output is {@code act(alpha * sum_p A[i][p] B[p][j] + (accumulate ? C[i][j] : 0) + bias)};
     * with {@code k == 0} the sum is 0, so C becomes {@code act(bias)} or {@code act(C + bias)}. When not
     * accumulating, C is write-only (its old contents, even NaN, are never read).
     *
     * @param batch       number of matrices, {@code >= 0}
     * @param m           rows of A and C
     * @param n           columns of B and C
     * @param k           columns of A, rows of B
     * @param alpha       scale of the product
     * @param a           A's storage
     * @param aOff        index of A[0](0, 0)
     * @param aRowStride  distance between A's rows
     * @param aColStride  distance between A's columns (1 for row-major, lda for a transposed view)
     * @param aBatchStride distance between consecutive A matrices
     * @param b           B's storage
     * @param bOff        index of B[0](0, 0)
     * @param bRowStride  distance between B's rows
     * @param bColStride  distance between B's columns
     * @param bBatchStride distance between consecutive B matrices
     * @param accumulate  add to C's old contents (beta = 1) instead of overwriting (beta = 0)
     * @param c           C's storage
     * @param cOff        index of C[0](0, 0)
     * @param ldc         distance between C's rows, {@code >= n} unless {@code m <= 1}
     * @param cBatchStride distance between consecutive C matrices
     * @param epilogue    bias and activation applied to every output element
     * @param ws          scratch for packed panels, reused across calls
     * @param splitter    how to spread the work over threads ({@link WorkSplitter#SERIAL} for none)
     * @throws IllegalArgumentException if a size or stride is negative or an operand does not fit its array
     */
    public static void sgemm(int batch, int m, int n, int k, float alpha,
                             float[] a, int aOff, int aRowStride, int aColStride, int aBatchStride,
                             float[] b, int bOff, int bRowStride, int bColStride, int bBatchStride,
                             boolean accumulate,
                             float[] c, int cOff, int ldc, int cBatchStride,
                             GemmEpilogue epilogue, GemmWorkspace ws, WorkSplitter splitter) {
        sgemm(batch, m, n, k, alpha, a, aOff, aRowStride, aColStride, aBatchStride,
                b, bOff, bRowStride, bColStride, bBatchStride, accumulate, c, cOff, ldc, cBatchStride,
                epilogue, ws, splitter, PATH_AUTO, null, SPLIT_AUTO);
    }

    /**
     * Path choice: by shape (the only one public callers get), or forced so tests can cover both paths on every shape.
     * {@code blocking} null means this machine's ({@link GemmMicroKernel#BLOCKING}); tests pass others to cover every tile.
     */
    static final int PATH_AUTO = 0, PATH_DIRECT = 1, PATH_PACKED = 2, PATH_NARROW = 3, PATH_DOT = 4;

    static void sgemm(int batch, int m, int n, int k, float alpha,
                      float[] a, int aOff, int aRowStride, int aColStride, int aBatchStride,
                      float[] b, int bOff, int bRowStride, int bColStride, int bBatchStride,
                      boolean accumulate,
                      float[] c, int cOff, int ldc, int cBatchStride,
                      GemmEpilogue epilogue, GemmWorkspace ws, WorkSplitter splitter, int path, GemmBlocking blocking) {
        sgemm(batch, m, n, k, alpha, a, aOff, aRowStride, aColStride, aBatchStride,
                b, bOff, bRowStride, bColStride, bBatchStride, accumulate, c, cOff, ldc, cBatchStride,
                epilogue, ws, splitter, path, blocking, SPLIT_AUTO);
    }

    /** As above; {@code split} forces a split mode (a {@code MODE_*}, for tests) or is {@link #SPLIT_AUTO}. */
    static void sgemm(int batch, int m, int n, int k, float alpha,
                      float[] a, int aOff, int aRowStride, int aColStride, int aBatchStride,
                      float[] b, int bOff, int bRowStride, int bColStride, int bBatchStride,
                      boolean accumulate,
                      float[] c, int cOff, int ldc, int cBatchStride,
                      GemmEpilogue epilogue, GemmWorkspace ws, WorkSplitter splitter, int path, GemmBlocking blocking,
                      int split) {
        if (batch < 0 || m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm: negative size batch=" + batch + " m=" + m + " n=" + n + " k=" + k);
        }
        if (batch == 0 || m == 0 || n == 0) return;
        if (m > 1 && ldc < n) throw new IllegalArgumentException("sgemm: ldc " + ldc + " < n " + n);
        checkFits("C", c, cOff, batch, cBatchStride, m, ldc, n, 1);
        if (k > 0) {
            checkFits("A", a, aOff, batch, aBatchStride, m, aRowStride, k, aColStride);
            checkFits("B", b, bOff, batch, bBatchStride, k, bRowStride, n, bColStride);
        }
        int flags = LAST;
        switch (epilogue.bias()) {
            case NONE -> { }
            case PER_ROW -> { flags |= BIAS_ROW; checkFits("bias", epilogue.biasData(), epilogue.biasOffset(), 1, 0, 1, 0, m, 1); }
            case PER_COLUMN -> { flags |= BIAS_COL; checkFits("bias", epilogue.biasData(), epilogue.biasOffset(), 1, 0, 1, 0, n, 1); }
        }
        switch (epilogue.activation()) {
            case NONE -> { }
            case RELU -> flags |= RELU;
        }
        if (accumulate) flags |= ADD_OLD;
        if (k == 0) {
            emptyK(batch, m, n, c, cOff, ldc, cBatchStride, flags, epilogue.biasData(), epilogue.biasOffset());
            return;
        }
        if (!Simd.ENABLED) {
            GemmScalar.sgemm(batch, m, n, k, alpha, a, aOff, aRowStride, aColStride, aBatchStride,
                    b, bOff, bRowStride, bColStride, bBatchStride, accumulate, c, cOff, ldc, cBatchStride, epilogue);
            return;
        }
        GemmBlocking bl = blocking != null ? blocking : GemmMicroKernel.BLOCKING;
        final int mr = bl.mr();
        Call call = ws.call;
        call.bl = bl;
        call.set(batch, m, n, k, alpha, a, aOff, aRowStride, aColStride, aBatchStride,
                b, bOff, bRowStride, bColStride, bBatchStride, c, cOff, ldc, cBatchStride,
                flags, epilogue.biasData(), epilogue.biasOffset());
        // At most one vector of columns: the narrow path (GemmNarrow) whatever M and K; it packs only B.
        // One row of A against a B whose K axis is contiguous (a transposed weight): dot products along K, B read in place (GemmDot).
        boolean dot = aColStride == 1 && bRowStride == 1
                && (path == PATH_AUTO ? m == 1 && k >= GemmMicroKernel.L : path == PATH_DOT);
        boolean narrow = !dot && (path == PATH_AUTO ? n <= GemmMicroKernel.L : path == PATH_NARROW && n <= GemmMicroKernel.L);
        boolean small = !dot && !narrow && (path == PATH_AUTO ? (long) m * n * k <= SMALL_VOLUME : path == PATH_DIRECT);
        call.small = small;
        call.narrow = narrow;
        call.dot = dot;
        int threads = splitter.threads();
        long flops = 2L * m * n * k * batch;
        int mode = MODE_WHOLE;
        long sharedFloats = (long) k * roundUp(n, NR);
        if (split != SPLIT_AUTO) {
            mode = threads > 1 ? legal(split, batch, small, narrow, dot, sharedFloats) : MODE_WHOLE;
        } else if (Parallelism.worthSplitting(splitter, 0, flops)) { // about 2 MFLOP and up
            mode = splitMode(batch, m, n, k, threads, small, narrow, dot, narrow ? GemmNarrow.ROWS : mr);
        }
        int chunks = switch (mode) {
            case MODE_WHOLE -> 1;
            case MODE_BATCH -> Math.min(threads, batch);
            default -> threads;
        };
        call.mode = mode;
        call.chunks = chunks;
        if (dot) {
            ws.ensure(chunks, 0, 0, GemmDot.TILE);
        } else if (narrow) {
            ws.ensure(chunks, 0, GemmNarrow.packLength(k), GemmNarrow.ROWS * NR + GemmMicroKernel.L);
        } else if (small) {
            // The direct path packs nothing, except a column-strided B copied to row-major (K x N floats).
            ws.ensure(chunks, 0, bColStride == 1 ? 0 : k * n, GemmMicroKernel.DMR * NR);
        } else if (mode == MODE_SHARED_B) {
            int kc = bl.blockK(k);
            ws.ensure(chunks, roundUp(Math.min(bl.mc(), m), mr) * kc, 0, mr * NR);
            call.groups = Math.min(GROUPS_PER_CHUNK * chunks, (Math.min(bl.nc(), n) + NR - 1) / NR);
            int steps = ((n + bl.nc() - 1) / bl.nc()) * ((k + kc - 1) / kc);
            ws.ensureShared((int) sharedFloats, steps * call.groups);
            call.seq = ++ws.sharedSeq;
        } else {
            int kc = bl.blockK(k);
            ws.ensure(chunks, roundUp(Math.min(bl.mc(), m), mr) * kc, roundUp(Math.min(bl.nc(), n), NR) * kc, mr * NR);
        }
        try {
            if (chunks == 1) call.run(0);
            else splitter.forEach(chunks, call);
        } finally {
            call.clear();
        }
    }

    /**
     * The split for a call that {@link Parallelism#worthSplitting} found worth a second thread, by
     * shape, in this one place (measurements in docs/perf/gemm.md, "Wave 5"):
     * <ul>
     * <li>whole matrices per thread when the batch divides evenly or is large (no packing repeated), and
     *     for the direct path's small matrices;
     * <li>the dot path (one row of A, a transposed B read in place) splits N: each thread streams its own rows of W;
     * <li>the narrow path (N at most one vector) splits M, each chunk packing its own K x L copy of B
     *     (8 K floats at K = 512);
     * <li>one matrix with fewer than {@link #N_SPLIT_ROWS} rows per thread splits N (each chunk packs
     *     all of A, which is small, and its own half of B's columns; wave 7: 10-40% faster than the
     *     shared B at M = 128 on 2 threads);
     * <li>otherwise one matrix on the packed path splits M around one packed B that the chunks share: each K
     *     block's panel is cut into groups of slivers that whichever chunk gets there first claims and
     *     packs, and a chunk waits only for a group the other is packing at that moment. So nothing is
     *     packed twice, a chunk never waits for a thread that has not started (if the worker is late,
     *     the caller packs all of B and may run both chunks), and there is no barrier. Up to
     *     {@link #SHARED_MAX_FLOATS} of packed B;
     * <li>otherwise M when N < 2M (each chunk packs all of B: packing A costs about twice as much
     *     per element), else N (each chunk packs all of A), as far as each side has a sliver per thread.
     * </ul>
     *
     * @param rows register-tile rows of the path that will run (the unit M is split in)
     */
    static int splitMode(int batch, int m, int n, int k, int threads, boolean small, boolean narrow, boolean dot, int rows) {
        int nSlivers = (n + NR - 1) / NR, mSlivers = (m + rows - 1) / rows;
        if (batch % threads == 0 || batch >= 4 * threads || small) return MODE_BATCH;
        if (dot) return nSlivers >= threads ? MODE_SPLIT_N : MODE_WHOLE;   // rows of W per thread: disjoint reads
        if (narrow) return mSlivers >= threads ? MODE_SPLIT_M : MODE_WHOLE;
        if (batch == 1 && nSlivers >= threads && m < N_SPLIT_ROWS * threads) return MODE_SPLIT_N;
        if (batch == 1 && mSlivers >= threads && (long) k * roundUp(n, NR) <= SHARED_MAX_FLOATS) return MODE_SHARED_B;
        if (mSlivers >= threads && (n < 2 * m || nSlivers < threads)) return MODE_SPLIT_M;
        if (nSlivers >= threads) return MODE_SPLIT_N;
        return MODE_WHOLE;
    }

    /** A forced split mode made valid for the call: the narrow path splits only M or the batch; the shared B is for one packed matrix. */
    private static int legal(int split, int batch, boolean small, boolean narrow, boolean dot, long sharedFloats) {
        if (dot && (split == MODE_SPLIT_M || split == MODE_SHARED_B)) return MODE_SPLIT_N;
        if (narrow && (split == MODE_SPLIT_N || split == MODE_SHARED_B)) return MODE_SPLIT_M;
        if (split == MODE_SHARED_B && (small || batch != 1 || sharedFloats > SHARED_MAX_FLOATS)) return MODE_SPLIT_M;
        return split;
    }

    /**
     * Row-major single GEMM {@code C = A B} (A is m x k, B is k x n, C is m x n, all dense), on
     * the calling thread. Convenience for tests and one-off use: it allocates a workspace per
     * call; hot paths should call the full {@link #sgemm} with a kept {@link GemmWorkspace}.
     *
     * @param m rows of A and C
     * @param n columns of B and C
     * @param k columns of A, rows of B
     * @param a A, m*k floats row-major
     * @param b B, k*n floats row-major
     * @param c C, m*n floats row-major, overwritten
     */
    public static void matmul(int m, int n, int k, float[] a, float[] b, float[] c) {
        sgemm(1, m, n, k, 1f, a, 0, k, 1, 0, b, 0, n, 1, 0, false, c, 0, n, 0,
                GemmEpilogue.NONE, new GemmWorkspace(), WorkSplitter.SERIAL);
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }

    private static void checkFits(String what, float[] arr, int off, int batch, int bs, int rows, int rs, int cols, int cs) {
        if (arr == null) throw new IllegalArgumentException("sgemm: " + what + " is null");
        if (off < 0 || bs < 0 || rs < 0 || cs < 0) {
            throw new IllegalArgumentException("sgemm: " + what + " offset/strides must be >= 0: offset=" + off
                    + " batchStride=" + bs + " rowStride=" + rs + " colStride=" + cs);
        }
        long last = off + (long) (batch - 1) * bs + (long) (rows - 1) * rs + (long) (cols - 1) * cs;
        if (last >= arr.length) {
            throw new IllegalArgumentException("sgemm: " + what + " does not fit its array: last index " + last
                    + " >= length " + arr.length + " (offset=" + off + ", batch=" + batch + "x" + bs
                    + ", rows=" + rows + "x" + rs + ", cols=" + cols + "x" + cs + ")");
        }
    }

    /** K == 0: the product is the zero matrix, so only the epilogue (on 0 or on old C) remains. */
    private static void emptyK(int batch, int m, int n, float[] c, int cOff, int ldc, int cbs, int flags,
                               float[] bias, int biasOff) {
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                int row = cOff + bi * cbs + i * ldc;
                for (int j = 0; j < n; j++) {
                    float v = (flags & ADD_OLD) != 0 ? c[row + j] : 0f;
                    if ((flags & BIAS_ROW) != 0) v += bias[biasOff + i];
                    else if ((flags & BIAS_COL) != 0) v += bias[biasOff + j];
                    if ((flags & RELU) != 0) v = Math.max(v, 0f);
                    c[row + j] = v;
                }
            }
        }
    }

    /**
     * The state of one call, kept in the workspace and reused: it is the splitter's chunk, so
     * splitting allocates no lambda. Fields are written by the calling thread before
     * {@link WorkSplitter#forEach} and only read by chunks.
     */
    static final class Call implements WorkSplitter.Chunk {
        private final GemmWorkspace ws;
        int batch, m, n, k;
        float alpha;
        float[] a, b, c, bias;
        int aOff, ars, acs, abs, bOff, brs, bcs, bbs, cOff, ldc, cbs, flags, biasOff;
        int mode, chunks;
        /** Shared-B split: sliver groups per K block, and this call's sequence number in the group states. */
        int groups, seq;
        boolean small, narrow, dot;
        GemmBlocking bl;

        Call(GemmWorkspace ws) {
            this.ws = ws;
        }

        void set(int batch, int m, int n, int k, float alpha,
                 float[] a, int aOff, int ars, int acs, int abs,
                 float[] b, int bOff, int brs, int bcs, int bbs,
                 float[] c, int cOff, int ldc, int cbs, int flags, float[] bias, int biasOff) {
            this.batch = batch; this.m = m; this.n = n; this.k = k; this.alpha = alpha;
            this.a = a; this.aOff = aOff; this.ars = ars; this.acs = acs; this.abs = abs;
            this.b = b; this.bOff = bOff; this.brs = brs; this.bcs = bcs; this.bbs = bbs;
            this.c = c; this.cOff = cOff; this.ldc = ldc; this.cbs = cbs;
            this.flags = flags; this.bias = bias; this.biasOff = biasOff;
        }

        /** Drops references to the caller's arrays so the workspace does not keep them alive. */
        void clear() {
            a = b = c = bias = null;
        }

        @Override
        public void run(int index) {
            switch (mode) {
                case MODE_WHOLE -> {
                    for (int bi = 0; bi < batch; bi++) one(bi, 0, m, 0, n, index);
                }
                case MODE_BATCH -> {
                    for (int bi = index; bi < batch; bi += chunks) one(bi, 0, m, 0, n, index);
                }
                case MODE_SPLIT_N -> {
                    int slivers = (n + NR - 1) / NR;
                    int span = (slivers + chunks - 1) / chunks * NR;
                    int j0 = index * span, j1 = Math.min(n, j0 + span);
                    if (j0 < j1) for (int bi = 0; bi < batch; bi++) one(bi, 0, m, j0, j1, index);
                }
                case MODE_SHARED_B -> shared(index);
                default -> {
                    int mr = narrow ? GemmNarrow.ROWS : bl.mr();
                    int slivers = (m + mr - 1) / mr;
                    int span = (slivers + chunks - 1) / chunks * mr;
                    int i0 = index * span, i1 = Math.min(m, i0 + span);
                    if (i0 < i1) for (int bi = 0; bi < batch; bi++) one(bi, i0, i1, 0, n, index);
                }
            }
        }

        /**
         * Chunk {@code index} of a shared-B split: its rows of C (register-tile slivers split evenly)
         * against a B packed once for all chunks. For each K block of each column block, the chunk
         * first packs every group of slivers nobody has claimed yet (chunk 0 scans from the left,
         * the others from the right, so two chunks arriving together take halves), then waits for the
         * groups another chunk is packing, then sweeps its rows. A group is claimed and marked done
         * with this call's sequence number; every K block has its own region of the panel.
         */
        private void shared(int index) {
            final int mr = bl.mr(), slivers = (m + mr - 1) / mr;
            final int i0 = (int) ((long) slivers * index / chunks) * mr;
            final int i1 = Math.min(m, (int) ((long) slivers * (index + 1) / chunks) * mr);
            final float[] pa = ws.packA[index], tile = ws.tile[index], pb = ws.sharedB;
            final var claimed = ws.claimed;
            final var packed = ws.packed;
            final int kcMax = bl.blockK(k), ncMax = bl.nc(), g = groups, sq = seq;
            final boolean fromLeft = index == 0;
            int step = 0;
            for (int jc = 0; jc < n; jc += ncMax) {
                int nc = Math.min(ncMax, n - jc);
                int nSlivers = (nc + NR - 1) / NR, ncPad = nSlivers * NR;
                for (int pc = 0; pc < k; pc += kcMax, step++) {
                    int kc = Math.min(kcMax, k - pc);
                    int panel = jc * k + pc * ncPad;     // earlier column blocks hold k * NC floats each
                    int id0 = step * g;
                    for (int q = 0; q < g; q++) {
                        int gi = fromLeft ? q : g - 1 - q;
                        if (claimed.get(id0 + gi) == sq || claimed.getAndSet(id0 + gi, sq) == sq) continue;
                        int s0 = (int) ((long) nSlivers * gi / g), s1 = (int) ((long) nSlivers * (gi + 1) / g);
                        try {
                            GemmPacking.packB(b, bOff + pc * brs + (jc + s0 * NR) * bcs, brs, bcs,
                                    Math.min(nc - s0 * NR, (s1 - s0) * NR), kc, pb, panel + s0 * kc * NR);
                        } finally {
                            packed.set(id0 + gi, sq);    // even on failure, so no chunk waits forever
                        }
                    }
                    for (int q = 0; q < g; q++) {
                        if (packed.get(id0 + q) != sq) awaitPacked(packed, id0 + q, sq);
                    }
                    sweepRows(i0, i1, pc, kc, jc, nc, aOff, cOff, pa, pb, panel, tile);
                }
            }
        }

        /**
         * Waits for a group that another chunk claimed and is packing right now (so the wait is bounded by
         * its packing; never by a thread that has not started): spin, then short naps, as a thread whose
         * partner was descheduled on a loaded machine should give its core away.
         */
        private static void awaitPacked(java.util.concurrent.atomic.AtomicIntegerArray packed, int id, int sq) {
            long spinUntil = System.nanoTime() + 50_000;
            while (packed.get(id) != sq) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }

        private void one(int bi, int i0, int i1, int j0, int j1, int slot) {
            if (dot) {
                GemmDot.run(a, aOff + bi * abs + i0 * ars, ars, b, bOff + bi * bbs, bcs, k, i1 - i0, j0, j1,
                        c, cOff + bi * cbs + i0 * ldc, ldc, ws.tile[slot], flags, alpha, bias, biasOff + i0, biasOff);
            } else if (narrow) {
                GemmNarrow.run(a, aOff + bi * abs, ars, acs, b, bOff + bi * bbs, brs, bcs, k, n, i0, i1,
                        c, cOff + bi * cbs, ldc, ws.packB[slot], ws.tile[slot], flags, alpha, bias, biasOff);
            } else if (small) direct(bi, i0, i1, j0, j1, slot);
            else packed(bi, i0, i1, j0, j1, slot);
        }

        /** The BLIS loop nest over rows [i0, i1) and columns [j0, j1) of matrix bi. */
        private void packed(int bi, int i0, int i1, int j0, int j1, int slot) {
            final float[] pa = ws.packA[slot], pb = ws.packB[slot], tile = ws.tile[slot];
            final int aBase = aOff + bi * abs, bBase = bOff + bi * bbs, cBase = cOff + bi * cbs;
            final int kcMax = bl.blockK(k), ncMax = bl.nc();
            for (int jc = j0; jc < j1; jc += ncMax) {
                int nc = Math.min(ncMax, j1 - jc);
                for (int pc = 0; pc < k; pc += kcMax) {
                    int kc = Math.min(kcMax, k - pc);
                    GemmPacking.packB(b, bBase + pc * brs + jc * bcs, brs, bcs, nc, kc, pb);
                    sweepRows(i0, i1, pc, kc, jc, nc, aBase, cBase, pa, pb, 0, tile);
                }
            }
        }

        /** Sweeps the mr x NR tiles of one packed MC x KC by KC x NC panel pair; B sliver outer so it stays in L1. */
        /**
         * One K block [pc, pc + kc) of columns [jc, jc + nc) against packed B at {@code pb[pbOff..]}:
         * rows [i0, i1) of A packed MC at a time and swept by the macro-kernel (both loop nests, shared
         * and private B, end here).
         */
        private void sweepRows(int i0, int i1, int pc, int kc, int jc, int nc, int aBase, int cBase,
                               float[] pa, float[] pb, int pbOff, float[] tile) {
            final int mcMax = bl.mc(), mr = bl.mr();
            int f = flags;
            if (pc > 0) f |= ADD_OLD;                      // later K blocks add onto the earlier ones
            if (pc + kc < k) f &= ADD_OLD;                 // bias and activation only after the last block
            for (int ic = i0; ic < i1; ic += mcMax) {
                int mc = Math.min(mcMax, i1 - ic);
                GemmPacking.packA(a, aBase + ic * ars + pc * acs, ars, acs, mc, kc, mr, pa);
                macro(kc, mc, nc, pa, pb, pbOff, tile, cBase + ic * ldc + jc, f, ic, jc);
            }
        }

        private void macro(int kc, int mc, int nc, float[] pa, float[] pb, int pbOff, float[] tile, int cRow, int f, int ic, int jc) {
            final int mr = bl.mr(), t = bl.tile();
            for (int jr = 0; jr < nc; jr += NR) {
                int nv = Math.min(NR, nc - jr);
                int bo = pbOff + (jr / NR) * kc * NR;
                for (int ir = 0; ir < mc; ir += mr) {
                    int rows = Math.min(mr, mc - ir);
                    // Full tiles that only need scaling go from the registers straight into C; whether a tile
                    // is full depends on its position alone, so every thread count takes the same path for it.
                    if (GemmMicroKernel.storesDirectly(t, kc, rows, nv, f)) {
                        GemmMicroKernel.store8x2(kc, pa, (ir / mr) * kc * mr, pb, bo, c, cRow + ir * ldc + jr, ldc, alpha);
                        continue;
                    }
                    GemmMicroKernel.kernel(t, kc, pa, (ir / mr) * kc * mr, pb, bo, tile);
                    GemmMicroKernel.merge(tile, rows, nv, c, cRow + ir * ldc + jr, ldc,
                            f, alpha, bias, biasOff + ic + ir, biasOff + jc + jr);
                }
            }
        }

        /**
         * Unpacked path for small matrices: rows of C four at a time, two vectors of columns at a
         * time, the whole K in registers. B must have unit column stride; otherwise it is first
         * copied row-major into the workspace (K*N floats, small by construction).
         */
        private void direct(int bi, int i0, int i1, int j0, int j1, int slot) {
            final int aBase = aOff + bi * abs;
            final int cBase = cOff + bi * cbs;
            float[] bb = b;
            int bBase = bOff + bi * bbs, rs = brs;
            if (bcs != 1) {
                bb = ws.packB[slot];
                for (int p = 0; p < k; p++) {
                    for (int j = j0; j < j1; j++) bb[p * n + j] = b[bBase + p * brs + j * bcs];
                }
                bBase = 0; rs = n;
            }
            GemmMicroKernel.direct(a, aBase, ars, acs, bb, bBase, rs, k, i0, i1, j0, j1, c, cBase, ldc, ws.tile[slot],
                    flags, alpha, bias, biasOff);
        }
    }
}
