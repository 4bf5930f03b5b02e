package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * The run driver of a {@link FusedProgram}: checks and binds the operands, merges axes, decides
 * the block length and the chunks (through {@link Parallelism}), hands chunks to the splitter,
 * and combines a reduction's fixed partials. The instructions themselves are evaluated by a
 * {@link BlockInterpreter}.
 *
 * <p>There is one run per thread for every program (a thread-local that refers to no program),
 * attached to a program for the length of one run and cleared after it, so it keeps no
 * operand or output array alive. A per-program thread-local would leak: its value would reach
 * the program and through it the thread-local's own key, so the entry could never be cleared
 * (about 32 KiB per program per thread, issue 11). On the calling thread it also holds the
 * run's geometry, which chunk threads read (only) while the caller waits in
 * {@link WorkSplitter#forEach}; being the {@link WorkSplitter.Chunk} itself spares a lambda
 * allocation per run.
 */
final class FusedRun implements WorkSplitter.Chunk {
    /** Flattened reduced elements per deterministic partial; fixed so results do not depend on threads. */
    static final long PIECE = 1 << 16;

    private static final ThreadLocal<FusedRun> LOCAL = ThreadLocal.withInitial(FusedRun::new);

    /** The program being run, set by {@link #attach} and cleared when the run ends. */
    FusedProgram p;
    /** This thread's registers. */
    final BlockInterpreter regs = new BlockInterpreter();
    // The geometry of the run in flight (the caller's), read by every chunk.
    float[][] in = new float[0][];
    int[] inOff = new int[0];
    private int[][] inStrUser = new int[0][];
    /** Merged shape and per-operand strides, {@link #rank} axes of them. */
    int[] shape = new int[4];
    int[][] st = new int[0][];
    int rank;
    float[] out;
    int outOff;
    ReduceKernelOp red;
    int blockLen;
    private long total, redSize, pieces, items;
    private int chunks;
    // Transposed copy (see tryTranspose): the source-contiguous axis q, the inner extents and
    // strides, and the dense output strides of the merged shape.
    private boolean transposed;
    /** A reduction of contiguous rows of a plain load, one row per output: see {@link #reduceRows}. */
    private boolean rowsOnly;
    private int rowStride;
    private int tq, tA, tB, tsB, tdq, aBlocks, aPhase;
    /**
     * Floats before element 0 of a float[] (HotSpot's 16-byte array header). Only used to line
     * up transpose tiles with cache lines; if it is wrong, tiles are misaligned (slower, same bits).
     */
    private static final int ARRAY_BASE_FLOATS = 4;
    /** Floats per cache line. */
    private static final int LINE_FLOATS = 16;
    private int[] ods = new int[4];
    /**
     * Flat blocks (see {@link #classifyFlat}): blocks run along the flattened index across rows,
     * and each operand is read as {@link #cls} says.
     */
    boolean flat;
    static final int DENSE = 0, SCALAR = 1, PERIODIC = 2, GATHER = 3;
    /** Merged rows shorter than this run as flat blocks even when an operand must be gathered. */
    static final int FLAT_ROWS = 1024;
    /** Longest period a broadcast operand is pre-tiled for. */
    static final int MAX_PERIOD = 4096;
    /** Per operand, in flat mode: how a block reads it. */
    int[] cls = new int[0];
    /** Per periodic operand: its period along the flattened index, and where its tile starts in {@link #tile}. */
    int[] period = new int[0], tileOff = new int[0];
    /** The periodic operands' tiles: each period repeated to cover a block starting at any phase. */
    float[] tile = new float[0];
    private int[] tIdx = new int[4];
    private double[] partial = new double[0];
    /**
     * Whether fused programs may run through generated loops ({@link FusedCodegen}): on by default,
     * {@code -Dadjoint.codegen=false} turns it off. (Off from the wave-5 merge to wave 7: warm programs
     * then allocated in some test JVMs; wave 7 measured that as C1-tier vector code running until a
     * loop's C2 compile leaves the queue, the block interpreter's as often as the generated loops', and
     * 0 of 10 fresh JVMs at the default MaxInlineLevel once the tests wait for it: docs/perf/elementwise.md.)
     * Not final so tests can compare both paths in one JVM.
     */
    static boolean CODEGEN = !"false".equalsIgnoreCase(System.getProperty("adjoint.codegen", "true"));
    /**
     * Runs of a program before it switches to its generated loop: a new class starts in the bytecode
     * interpreter, where every vector op allocates and runs ~100x slower than in C2, so a program run
     * only once or twice (a constant fold, a one-off evaluation) keeps the warm block interpreter.
     */
    static int CODEGEN_AFTER = Integer.getInteger("adjoint.codegen.after", 2);
    /**
     * Fewest elements a run must have to take the generated loop. A large run gets its loop compiled
     * by C2 within the first call (on-stack replacement after a few thousand iterations); a small
     * program run once per training step would run its new class interpreted or in C1 (boxed
     * vectors) for hundreds of steps (a 3-op select over 128 floats: 71 us against ~5 warm), and the
     * interpreter's shared loops are warm already.
     */
    static long CODEGEN_MIN = Long.getLong("adjoint.codegen.min", 16384);
    /** The generated loop of the run in flight, or null for the block interpreter. */
    GeneratedChain gen;
    /** The generated loop's scalar slot values for the run in flight (read by every chunk). */
    float[] scal = new float[0];
    private float[] sv = new float[0];
    private static final UnaryKernelOp[] UNARY_OPS = UnaryKernelOp.values();
    private static final BinaryKernelOp[] BINARY_OPS = BinaryKernelOp.values();
    private static final CompareKernelOp[] COMPARE_OPS = CompareKernelOp.values();

    private FusedRun() {}

    /** This thread's run, attached to {@code prog} until the run ends. */
    static FusedRun attach(FusedProgram prog) {
        FusedRun g = LOCAL.get();
        g.attachTo(prog);
        return g;
    }

    private void attachTo(FusedProgram prog) {
        this.p = prog;
        int k = prog.inputs;
        if (in.length < k) {
            in = new float[k][];
            inOff = new int[k];
            inStrUser = new int[k][];
            int[][] s2 = new int[k][];
            for (int i = 0; i < k; i++) s2[i] = i < st.length ? st[i] : new int[shape.length];
            st = s2;
        }
        regs.attach(prog);
    }

    /** Forgets the program and every array of the run, so a thread's state keeps nothing of a plan alive. */
    private void detach() {
        FusedProgram prog = p;
        if (prog == null) return;
        Arrays.fill(in, 0, prog.inputs, null);
        Arrays.fill(inStrUser, 0, prog.inputs, null);
        regs.detach();
        out = null;
        gen = null;
        p = null;
    }

    void bind(int k, float[] arr, int off, int[] strides) {
        in[k] = arr;
        inOff[k] = off;
        inStrUser[k] = strides;
    }

    /**
     * Runs the attached program over {@code shp}, reducing the last {@code reducedAxes} axes when
     * {@code reduce} is not null (sums accumulate per block in float and across blocks in double,
     * over fixed pieces of {@value #PIECE} elements, so the result is the same whatever the
     * splitter's thread count), then detaches.
     */
    void execute(int[] shp, int reducedAxes, ReduceKernelOp reduce, float[] dst, int dstOff, WorkSplitter splitter) {
        try {
            executeAttached(shp, reducedAxes, reduce, dst, dstOff, splitter);
        } finally {
            detach();
        }
    }

    private void executeAttached(int[] shp, int reducedAxes, ReduceKernelOp reduce, float[] dst, int dstOff, WorkSplitter splitter) {
        int r0 = shp.length;
        if (reducedAxes < 0 || reducedAxes > r0) {
            throw new IllegalArgumentException("reducedAxes " + reducedAxes + " not in [0, " + r0 + "]");
        }
        long tot = 1, outCount = 1;
        for (int d = 0; d < r0; d++) {
            if (shp[d] < 0) throw new IllegalArgumentException("negative extent in shape " + Arrays.toString(shp));
            tot *= shp[d];
            if (d < r0 - reducedAxes) outCount *= shp[d];
        }
        for (int k = 0; k < p.inputs; k++) checkOperand(k, shp, tot);
        long outN = reduce == null ? tot : outCount;
        if (dstOff < 0 || dstOff + outN > dst.length) throw new IllegalArgumentException("output of " + outN
                + " elements at offset " + dstOff + " does not fit an array of " + dst.length);
        if (outN == 0) return;
        this.out = dst;
        this.outOff = dstOff;
        this.total = tot;
        this.red = reduce;
        if (reduce != null && tot == 0) { // reducing an empty axis
            Arrays.fill(dst, dstOff, dstOff + (int) outN, reduce.identity());
            return;
        }
        collapse(shp);
        blockLen = p.block;
        transposed = reduce == null && tryTranspose();
        flat = reduce == null && !transposed && rank >= 2 && classifyFlat();
        // Whole rows, no per-block dispatch, when a single computing instruction writes the
        // output. (Reductions keep their blocks: summing whole 64 Ki pieces in one call measured
        // 0.61 of read bandwidth against 0.80-0.89 with 2032-float blocks.)
        if (reduce == null && !flat && p.single) {
            boolean gathers = false;
            for (int k = 0; k < p.inputs; k++) if (st[k][rank - 1] != 0 && st[k][rank - 1] != 1) gathers = true;
            if (!gathers) blockLen = Integer.MAX_VALUE;
        }
        gen = reduce == null && !transposed && p.generable && CODEGEN && tot >= CODEGEN_MIN ? generated() : null;
        double bytes = 4.0 * tot * (p.inputs + (reduce == null ? 1 : 0)), flops = (double) tot * p.computing;
        rowsOnly = false;
        if (transposed) {
            items = tot / ((long) tA * tB) * ((aBlocks + TRANSPOSE_BAND_ROWS / BlockOps.TILE - 1) / (TRANSPOSE_BAND_ROWS / BlockOps.TILE));
            chunks = Parallelism.chunks(splitter, bytes, 0, items);
        } else if (reduce == null) {
            chunks = Parallelism.chunks(splitter, bytes, flops, Math.max(1, tot / 64));
        } else {
            redSize = tot / outCount;
            pieces = (redSize + PIECE - 1) / PIECE;
            items = outCount * pieces;
            if (pieces > 1 && partial.length < items) partial = new double[(int) items];
            chunks = Parallelism.chunks(splitter, bytes, flops, items);
            int k = p.kind[p.result] == FusedProgram.LOAD ? p.a[p.result] : -1;
            rowsOnly = k >= 0 && pieces == 1
                    && (rank == 1 ? st[k][0] == 1 : rank == 2 && shape[1] == redSize && st[k][1] == 1);
            rowStride = rowsOnly ? (rank == 1 ? (int) redSize : st[k][0]) : 0;
        }
        if (chunks <= 1) run(0);
        else splitter.forEach(chunks, this);
        if (reduce != null && pieces > 1) {
            for (long o = 0; o < outCount; o++) {
                double s = reduce == ReduceKernelOp.SUM ? 0.0 : Double.NEGATIVE_INFINITY;
                for (long q = 0; q < pieces; q++) {
                    double v = partial[(int) (o * pieces + q)];
                    s = reduce == ReduceKernelOp.SUM ? s + v : Math.max(s, v);
                }
                dst[dstOff + (int) o] = (float) s;
            }
        }
        this.out = null;
    }

    /**
     * Whether this run is a copy whose source is contiguous along some outer axis q but not
     * along the output's inner axis (a materialized transposed view): then it moves square
     * tiles with {@link BlockOps#transposeTile}, whole cache lines in and out, instead of
     * gathering the inner axis element by element (0.07 of copy bandwidth on Zen 5).
     */
    private boolean tryTranspose() {
        if (p.kind[p.result] != FusedProgram.LOAD) return false;
        int[] s = st[p.a[p.result]];
        int sB = s[rank - 1], q = -1;
        if (sB == 0 || sB == 1 || sB == -1) return false;
        for (int d = rank - 2; d >= 0 && q < 0; d--) if (s[d] == 1) q = d;
        int t = BlockOps.TILE;
        if (q < 0 || shape[q] < t || shape[rank - 1] < t) return false;
        if (ods.length < rank) ods = new int[rank];
        int acc = 1;
        for (int d = rank - 1; d >= 0; d--) { ods[d] = acc; acc *= shape[d]; }
        tq = q; tA = shape[q]; tB = shape[rank - 1]; tsB = sB; tdq = ods[q];
        // Start the tiles where source rows meet a cache line, so every tile row loads one whole
        // line: a misaligned vector load covers halves of two lines, and the other halves are
        // wanted only by the next block of columns, after the lines were evicted (each line then
        // travels twice). Possible when every source row starts at the same phase.
        boolean same = sB % LINE_FLOATS == 0;
        for (int d = 0; d < rank - 1; d++) if (d != q && s[d] % LINE_FLOATS != 0) same = false;
        aPhase = same ? Math.floorMod(-(inOff[p.a[p.result]] + ARRAY_BASE_FLOATS), LINE_FLOATS) % t : 0;
        aBlocks = aPhase == 0 ? (tA + t - 1) / t : 1 + (tA - aPhase + t - 1) / t;
        return true;
    }

    /**
     * Output rows per transpose work item (floats, a multiple of every tile side): an item is a
     * band of this many output rows (source columns), moved in blocks of
     * {@link #TRANSPOSE_BAND_COLS} output columns (source rows), tile strip by tile strip inside
     * a block. A block's source and destination (128 rows x 512 B each) stay in L2 while it is
     * moved, and each source row is read as a 512 B run the prefetchers follow. Measured on Zen 5
     * (thread CPU time, docs/perf/elementwise.md "Wave 5"): 4096 x 4096 at 0.25-0.31 of copy
     * bandwidth in whole-height strips, 0.44-0.51 in blocks of 128-512 x 64-256; 32 or fewer
     * source rows per block 0.25-0.32; 128 x 128 was best or level on [4096, 4096],
     * [16384, 1024] and [1024, 16384].
     */
    static final int TRANSPOSE_BAND_ROWS = 128;
    /** Output columns (source rows) per block of a transpose band; a multiple of every tile side. */
    static final int TRANSPOSE_BAND_COLS = 128;

    /**
     * Moves work items {@code [i0, i1)} of a transposed copy. An item is (outer index, band of up
     * to {@link #TRANSPOSE_BAND_ROWS} / TILE strips of TILE source columns = output rows), moved in
     * blocks of {@link #TRANSPOSE_BAND_COLS} source rows; inside a block, strip by strip, each
     * strip's tiles down the block's source rows (the output rows are then written as TILE short
     * sequential runs). A pure copy: the split into items does not change any bit.
     */
    private void transposeItems(long i0, long i1) {
        final int t = BlockOps.TILE, k = p.a[p.result], sB = tsB, dq = tdq, B = tB, bFull = B - B % t;
        final int g = TRANSPOSE_BAND_ROWS / t, bands = (aBlocks + g - 1) / g;
        final float[] x = in[k], d = out;
        final int[] s = st[k];
        for (long it = i0; it < i1; it++) {
            long o = it / bands;
            int j0 = (int) (it % bands) * g, j1 = Math.min(aBlocks, j0 + g);
            int sBase = inOff[k], dBase = outOff;
            for (int dd = rank - 2; dd >= 0; dd--) {
                if (dd == tq) continue;
                int id = (int) (o % shape[dd]);
                o /= shape[dd];
                sBase += id * s[dd];
                dBase += id * ods[dd];
            }
            for (int c0 = 0; c0 < B; c0 += TRANSPOSE_BAND_COLS) {
                int c1 = Math.min(B, c0 + TRANSPOSE_BAND_COLS), cFull = Math.min(c1, bFull);
                for (int j = j0; j < j1; j++) {
                    int a0, a1;
                    if (aPhase == 0) { a0 = j * t; a1 = Math.min(tA, a0 + t); }
                    else if (j == 0) { a0 = 0; a1 = aPhase; }
                    else { a0 = aPhase + (j - 1) * t; a1 = Math.min(tA, a0 + t); }
                    if (a1 - a0 == t) {
                        for (int b0 = c0; b0 < cFull; b0 += t) BlockOps.transposeTile(x, sBase + a0 + b0 * sB, sB, d, dBase + a0 * dq + b0, dq);
                        for (int a = a0; a < a1; a++) for (int b = cFull; b < c1; b++) d[dBase + a * dq + b] = x[sBase + a + b * sB];
                    } else {
                        // A ragged strip of columns: row by row, so each source line is read once (column by
                        // column, every element was a cache miss: a strip cost as much as 20 full tiles).
                        for (int b = c0; b < c1; b++) for (int a = a0; a < a1; a++) d[dBase + a * dq + b] = x[sBase + a + b * sB];
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [o0, o1)} of a reduction whose every output reduces one contiguous row of the
     * operand: the same sums as the general path (one {@link BlockOps#sum} per block, added in
     * double), without its per-row index arithmetic (two long divisions per dimension), which
     * cost about a third of the time on 1024-float rows.
     */
    private void reduceRows(BlockInterpreter e, int o0, int o1) {
        int k = p.a[p.result], n = (int) redSize, stride = rowStride, blk = blockLen;
        float[] x = in[k], d = out;
        int src = inOff[k] + o0 * stride;
        for (int o = o0; o < o1; o++, src += stride) {
            double acc;
            if (red == ReduceKernelOp.SUM) {
                acc = 0.0;
                for (int b0 = 0; b0 < n; b0 += blk) acc += BlockOps.sum(x, src + b0, Math.min(blk, n - b0), e.lanes);
            } else {
                acc = Double.NEGATIVE_INFINITY;
                for (int b0 = 0; b0 < n; b0 += blk) acc = Math.max(acc, BlockOps.max(x, src + b0, Math.min(blk, n - b0)));
            }
            d[outOff + o] = (float) acc;
        }
    }

    private void checkOperand(int k, int[] shp, long tot) {
        int[] s = inStrUser[k];
        if (s.length != shp.length) throw new IllegalArgumentException("operand " + k + " has " + s.length
                + " strides for a rank-" + shp.length + " shape " + Arrays.toString(shp));
        if (tot == 0) return;
        long lo = inOff[k], hi = inOff[k];
        for (int d = 0; d < shp.length; d++) {
            long span = (long) (shp[d] - 1) * s[d];
            if (span < 0) lo += span; else hi += span;
        }
        if (lo < 0 || hi >= in[k].length) throw new IllegalArgumentException("operand " + k + " reads indices ["
                + lo + ", " + hi + "] outside its array of " + in[k].length + " (offset " + inOff[k]
                + ", strides " + Arrays.toString(s) + ", shape " + Arrays.toString(shp) + ")");
    }

    /**
     * Decides whether this elementwise run evaluates in flat blocks: blocks of the program's
     * length along the flattened index, across as many rows of the merged shape as they cover,
     * rather than row by row. Row by row, a row is evaluated with the whole instruction dispatch,
     * which costs about 70 ns however short the row (LeNet's channel rows of 6 and 16 floats ran at
     * 7-12 ns per element, see docs/perf/elementwise.md). The output is dense, so it is a straight
     * run either way; each operand is classified once per run:
     * <ul>
     * <li>{@link #DENSE}: its strides are the output's, read in place at the flat index;
     * <li>{@link #SCALAR}: all strides 0;
     * <li>{@link #PERIODIC}: strides 0 along the leading axes and a period of at most
     *     {@value #MAX_PERIOD} elements (a per-channel bias): read from a tile of the period
     *     repeated, built once per run, so the block loop reads it as a contiguous operand;
     * <li>{@link #GATHER}: any other view (a strided slice, a transpose, an inner broadcast): copied
     *     into scratch run by run of its inner axis, a short contiguous run as one vector.
     * </ul>
     * Flat blocks are used when no operand must be gathered, or when rows are shorter than
     * {@value #FLAT_ROWS} (long rows read strided operands in place, row by row, with no copy).
     */
    private boolean classifyFlat() {
        int k0 = p.inputs;
        if (cls.length < k0) { cls = new int[k0]; period = new int[k0]; tileOff = new int[k0]; }
        if (ods.length < rank) ods = new int[rank];
        int acc = 1;
        for (int d = rank - 1; d >= 0; d--) { ods[d] = acc; acc *= shape[d]; }
        boolean gathers = false;
        int tiles = 0;
        for (int k = 0; k < k0; k++) {
            int[] s = st[k];
            boolean dense = true;
            for (int d = 0; d < rank; d++) if (s[d] != ods[d]) dense = false;
            int t = 0;
            while (t < rank && s[t] == 0) t++;
            long per = 1;
            for (int d = t; d < rank; d++) per *= shape[d];
            if (dense) cls[k] = DENSE;
            else if (t == rank) cls[k] = SCALAR;
            else if (t > 0 && per <= MAX_PERIOD) {
                cls[k] = PERIODIC;
                period[k] = (int) per;
                tileOff[k] = tiles;
                tiles += (int) per + p.block;
            } else {
                cls[k] = GATHER;
                gathers = true;
            }
        }
        if (gathers && shape[rank - 1] >= FLAT_ROWS) return false;
        if (tile.length < tiles) tile = new float[tiles];
        for (int k = 0; k < k0; k++) if (cls[k] == PERIODIC) buildTile(k);
        return true;
    }

    /** Writes operand {@code k}'s period (its values over the axes it does not broadcast along) repeated into its tile. */
    private void buildTile(int k) {
        int[] s = st[k];
        int t = 0;
        while (s[t] == 0) t++;
        int per = period[k], o = tileOff[k], len = per + p.block;
        if (tIdx.length < rank) tIdx = new int[rank];
        java.util.Arrays.fill(tIdx, 0, rank, 0);
        float[] x = in[k];
        int b = inOff[k];
        for (int i = 0; i < per; i++) {
            tile[o + i] = x[b];
            for (int d = rank - 1; d >= t; d--) {
                b += s[d];
                if (++tIdx[d] < shape[d]) break;
                b -= shape[d] * s[d];
                tIdx[d] = 0;
            }
        }
        for (int done = per; done < len; ) {
            int c = Math.min(done, len - done);
            System.arraycopy(tile, o, tile, o + done, c);
            done += c;
        }
    }

    /**
     * The generated loop for this run, or null: the operands must all be read in place, as
     * scalars or from a periodic tile (flat blocks without gathers, or one merged row of
     * contiguous and broadcast operands), and the program must have run {@link #CODEGEN_AFTER}
     * times. Fills {@link #scal} with the values of the loop's scalar registers, computed as the
     * interpreter computes scalar registers ({@code apply} of each op, in program order).
     */
    private GeneratedChain generated() {
        long mask = 0;
        for (int k = 0; k < p.inputs; k++) {
            int c;
            if (flat) c = cls[k];
            else if (rank == 1 && st[k][0] == 1) c = DENSE;
            else if (rank == 1 && st[k][0] == 0) c = SCALAR;
            else c = GATHER;
            if (c == GATHER) return null;
            if (c == SCALAR) mask |= 1L << k;
        }
        if (p.runs < CODEGEN_AFTER) {
            p.runs++;
            return null;
        }
        GeneratedChain g = p.generated;
        if (g == null || g.scalarInputs() != mask) p.generated = g = FusedCodegen.bind(p, mask, VecBlockOps.L);
        if (g.kernel() == null) return null;
        int[] sl = g.scalarValues();
        if (sl.length > 0) {
            int n = p.kind.length;
            if (sv.length < n) sv = new float[n];
            boolean[] isScalar = g.scalar();
            for (int i = 0; i < n; i++) {
                if (!isScalar[i]) continue;
                switch (p.kind[i]) {
                    case FusedProgram.LOAD -> sv[i] = in[p.a[i]][inOff[p.a[i]]];
                    case FusedProgram.CONST -> sv[i] = p.konst[i];
                    case FusedProgram.UNARY -> sv[i] = UNARY_OPS[p.op[i]].apply(sv[p.a[i]]);
                    case FusedProgram.BINARY -> sv[i] = BINARY_OPS[p.op[i]].apply(sv[p.a[i]], sv[p.b[i]]);
                    case FusedProgram.COMPARE -> sv[i] = COMPARE_OPS[p.op[i]].apply(sv[p.a[i]], sv[p.b[i]]);
                    case FusedProgram.SELECT -> sv[i] = sv[p.a[i]] != 0f ? sv[p.b[i]] : sv[p.c[i]];
                    default -> throw new IllegalStateException("unknown instruction kind " + p.kind[i]);
                }
            }
            if (scal.length < sl.length) scal = new float[sl.length];
            for (int j = 0; j < sl.length; j++) scal[j] = sv[sl[j]];
        }
        return g;
    }

    /** Drops unit axes and merges neighbours every operand steps through with one stride. */
    private void collapse(int[] shp) {
        int r0 = Math.max(1, shp.length);
        if (shape.length < r0) {
            shape = new int[r0];
            for (int k = 0; k < st.length; k++) st[k] = new int[r0];
        }
        int r = 0;
        for (int d = 0; d < shp.length; d++) {
            int sz = shp[d];
            if (sz == 1) continue;
            boolean merge = r > 0;
            for (int k = 0; merge && k < p.inputs; k++) {
                if (st[k][r - 1] != (long) inStrUser[k][d] * sz) merge = false;
            }
            if (merge) {
                shape[r - 1] *= sz;
                for (int k = 0; k < p.inputs; k++) st[k][r - 1] = inStrUser[k][d];
            } else {
                shape[r] = sz;
                for (int k = 0; k < p.inputs; k++) st[k][r] = inStrUser[k][d];
                r++;
            }
        }
        if (r == 0) {
            shape[0] = 1;
            for (int k = 0; k < p.inputs; k++) st[k][0] = 0;
            r = 1;
        }
        rank = r;
    }

    /** Runs chunk {@code ci} of the geometry held by this (the caller's) run. */
    @Override
    public void run(int ci) {
        FusedRun e = LOCAL.get();
        if (e == this) {
            runChunk(regs, ci);
            return;
        }
        // Another thread's chunk: its own registers, attached for this chunk only.
        e.regs.attach(p);
        try {
            runChunk(e.regs, ci);
        } finally {
            e.regs.detach();
        }
    }

    private void runChunk(BlockInterpreter e, int ci) {
        if (transposed) {
            transposeItems(items * ci / chunks, items * (ci + 1) / chunks);
            return;
        }
        if (red == null) {
            long s = (total * ci / chunks) & ~63L, t = ci == chunks - 1 ? total : (total * (ci + 1) / chunks) & ~63L;
            if (gen != null) e.evalGenerated(this, s, t);
            else e.evalRange(this, s, t);
            return;
        }
        long i0 = items * ci / chunks, i1 = items * (ci + 1) / chunks;
        if (rowsOnly) {
            reduceRows(e, (int) i0, (int) i1);
            return;
        }
        for (long it = i0; it < i1; it++) {
            long o = it / pieces, q = it % pieces;
            long s = o * redSize + q * PIECE, t = o * redSize + Math.min((q + 1) * PIECE, redSize);
            e.acc = red == ReduceKernelOp.SUM ? 0.0 : Double.NEGATIVE_INFINITY;
            e.evalRange(this, s, t);
            if (pieces > 1) partial[(int) it] = e.acc;
            else out[outOff + (int) o] = (float) e.acc;
        }
    }
}
