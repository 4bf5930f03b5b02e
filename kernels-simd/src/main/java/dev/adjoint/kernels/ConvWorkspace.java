package dev.adjoint.kernels;

/**
 * Everything a {@link Conv} call needs besides its operands, allocated once per geometry so that
 * the hot path allocates nothing: the per-chunk tap lists, the decoded attributes, and the task
 * object handed to the {@link WorkSplitter} (a capturing lambda would allocate on every call).
 *
 * <p>A workspace serves one call at a time: two threads must not run convs through the same
 * workspace concurrently (give each its own).
 */
public final class ConvWorkspace {
    /** The geometry this workspace was made for. */
    public final ConvGeometry geometry;

    // Attributes with rank 0 widened to one unit axis, so that the kernels always have an
    // innermost spatial axis to block along.
    final int r;
    final int[] inS, kS, outS, str, lo, la, a, d;
    /**
     * Element strides per spatial axis of x, of the packed kernel panels (ks, used by the GEMM
     * paths), of the original kernel layout (ksOrig, used by the depthwise path), and of y.
     */
    final int[] xs, ks, ksOrig, ys;
    final int xN, yN;
    /** Number of "outer rows": product of all output spatial sizes except the innermost. */
    final int outerRows;
    /** Number of taps on the outer axes (all but the innermost). */
    final int outerTaps;
    final int maxChunks;

    // Per-chunk scratch: tap offsets into x and k. Indexed by chunk, not thread, because the
    // WorkSplitter contract does not tell which thread runs a chunk.
    final int[][] outerX, outerK, tx, tk, ftx, ftk, innerT, innerB, coord;

    /** Output-channel blocks (of {@link Conv#BLOCK}) per group, floats per packed panel. */
    final int blocksPerGroup, panel;
    /** The kernel repacked per call into contiguous panels [group][block][tap][cin][BLOCK], zero-padded. */
    final float[] packed;
    /** Per-chunk job lists: recorded row blocks of one output row, run channel-block by channel-block. */
    final int[][] jobTx, jobTk, jobs;
    /**
     * Per chunk: [{@link #JOBS}] recorded jobs, [{@link #TAPS_USED}] tap-list ints used,
     * [{@link #STAGED}] 1 when the recorded jobs read the chunk's staging buffer, 2 when its
     * column buffer ({@link #cols}), 0 when x. The
     * words sit in the middle of their array, 64 bytes from either end: chunks on different
     * threads write them on every job, and neighbouring chunks' arrays are neighbours in memory.
     */
    final int[][] jobState;
    static final int JOBS = 16, TAPS_USED = 17, STAGED = 18;
    /**
     * Per chunk: the x offsets of each recorded job's rows relative to its first row, {@link Conv#rows()}
     * per job (rows past the job's count repeat its last row). Constant steps for a row of one output
     * row; for a band, the steps from one output row to the next differ.
     */
    final int[][] jobRows;
    /**
     * Output rows per band, 1 when bands do not apply: the GEMM paths then stage one output row at a
     * time; with bands a unit is a band of output rows of one batch entry, whose input rows are staged
     * once and whose (row, column) positions are blocked 8 at a time across row ends (ConvSimd.bandUnit).
     */
    final int bandRows;
    /** Bands per batch entry (0 when {@link #bandRows} is 1). */
    final int bands;
    /**
     * Floats of staged input per band at most: 16K floats (64 KB) holds the whole padded image of
     * layer A (16x16x32) or D (32x32x1), while a band of two 56-wide rows of 64 channels (layer B)
     * does not need more than that either.
     */
    static final long BAND_FLOATS = Long.getLong("adjoint.conv.bandFloats", 1 << 14);
    /** Units (batch entries x bands) a banded call keeps at least, so that it splits over threads. */
    static final int MIN_BAND_UNITS = 8;
    /** Jobs and tap-list ints a chunk records before it must flush. */
    final int jobCap, listCap;
    /**
     * Floats or ints of padding after every per-chunk array: the arrays of one field are
     * allocated back to back, and chunks run on different threads write their own on every output
     * row; without a cache line between them (layer D's 5-int tap lists: 8 chunks in 5 lines), the
     * lines bounce between the cores and 2 threads ran no faster than one.
     */
    static final int PAD = 16;

    /** Per-chunk int arrays of {@code len} usable elements, each followed by {@link #PAD} unused ones. */
    static int[][] ints(int chunks, int len) {
        int[][] a = new int[chunks][];
        for (int i = 0; i < chunks; i++) a[i] = new int[len + PAD];
        return a;
    }

    /** Per-chunk float arrays of {@code len} usable elements, each followed by {@link #PAD} unused ones. */
    static float[][] floats(int chunks, int len) {
        float[][] a = new float[chunks][];
        for (int i = 0; i < chunks; i++) a[i] = new float[len + PAD];
        return a;
    }

    /** Per chunk: a micro-kernel-sized output tile for channel tails. */
    final float[][] tile;
    /** Width (columns) of a staged padded input row, 0 when staging does not apply; per-chunk buffers. */
    final int stageWidth;
    final float[][] stage;
    /**
     * Whether banded calls interleave each output row's K0 input rows column by column
     * (ConvSimd.interleaveTapRows), so that a position's taps are one run of K0 * K1: Cin 1, one group,
     * rhs dilation 1 on the inner axis, the interleaved band within 32K floats. The merged tap list would be one run of K1 taps per kernel
     * row (5 for layer D), a micro-kernel inner loop too short to pay its setup.
     */
    final boolean tapRows;
    /** Per chunk, when {@link #tapRows}: the band's interleaved rows, bandRows x stageWidth x K0 floats. */
    final float[][] cols;
    /** The standard kernel layout of the geometry, made once so that calls allocate nothing. */
    final ConvKernelLayout standardLayout;
    /** The column-vectorized small-Cout forward's layout (null when it does not apply), per-chunk staged x and tiles, kernel table. */
    final ConvPlanes planes;
    final float[][] colX, colTile;
    final float[] colTable;

    /**
     * The standard kernel layout of the geometry ({@link ConvKernelLayout#standard}), one instance per workspace.
     *
     * @return the layout
     */
    public ConvKernelLayout standardLayout() { return standardLayout; }

    /**
     * Declares that every call through this workspace passes the same kernel contents (a model's
     * weights, a plan constant): the kernel is then packed on the first call and the packed copy
     * reused while the array, offset, layout and path are the same ones. Calls with other kernel
     * arrays still repack; changing the contents of the same array in place is not noticed.
     */
    public void assumeConstantKernel() { constantKernel = true; }

    boolean constantKernel;
    /** What the packed panels were made from, when the kernel is constant. */
    float[] packedFrom;
    int packedOff;
    ConvKernelLayout packedLayout;
    Conv.Path packedPath;
    boolean packedTapOrder;
    /** The current call runs ConvSimd.interleaveTapRows, and its panel is packed in (kw, kh) tap order. */
    boolean tapOrder;

    // The current call's operands, read by the task; set before and cleared after each call.
    float[] x, k, y;
    int xOff, kOff, yOff;
    int units, chunks;
    /** The current call's epilogue, null for none. */
    ConvEpilogue epilogue;
    Conv.Path path;
    boolean batchBlocked;
    final WorkSplitter.Chunk task = i -> ConvSimd.runChunk(this, i);

    /**
     * Makes a workspace for convs of one geometry.
     *
     * @param geometry   the geometry
     * @param maxThreads the largest {@link WorkSplitter#threads()} this workspace will be used with;
     *                   a larger splitter is used with this many threads only
     */
    public ConvWorkspace(ConvGeometry geometry, int maxThreads) {
        this.geometry = geometry;
        ConvGeometry g = geometry;
        standardLayout = ConvKernelLayout.standard(g);
        int rr = Math.max(1, g.rank);
        r = rr;
        inS = new int[rr]; kS = new int[rr]; outS = new int[rr]; str = new int[rr]; lo = new int[rr];
        la = new int[rr]; a = new int[rr]; d = new int[rr];
        for (int i = 0; i < rr; i++) {
            if (g.rank == 0) {
                inS[i] = 1; kS[i] = 1; outS[i] = 1; str[i] = 1; lo[i] = 0; la[i] = 1; a[i] = 1; d[i] = 1;
            } else {
                inS[i] = g.inSize(i); kS[i] = g.kernelSize(i); outS[i] = g.outSize(i); str[i] = g.stride(i);
                lo[i] = g.padLo(i); la[i] = g.dilatedInSize(i); a[i] = g.lhsDilation(i); d[i] = g.rhsDilation(i);
            }
        }
        xs = new int[rr]; ks = new int[rr]; ksOrig = new int[rr]; ys = new int[rr];
        xs[rr - 1] = g.cin; ks[rr - 1] = g.cinPerGroup * Conv.block(); ksOrig[rr - 1] = g.cinPerGroup * g.cout; ys[rr - 1] = g.cout;
        for (int i = rr - 2; i >= 0; i--) {
            xs[i] = xs[i + 1] * inS[i + 1]; ks[i] = ks[i + 1] * kS[i + 1]; ksOrig[i] = ksOrig[i + 1] * kS[i + 1];
            ys[i] = ys[i + 1] * outS[i + 1];
        }
        xN = xs[0] * inS[0];
        yN = ys[0] * outS[0];
        int rows = 1, ot = 1;
        for (int i = 0; i < rr - 1; i++) { rows *= outS[i]; ot *= kS[i]; }
        outerRows = rows;
        outerTaps = ot;
        int taps = ot * kS[rr - 1];
        maxChunks = Math.max(1, 4 * Math.max(1, maxThreads));
        outerX = ints(maxChunks, ot); outerK = ints(maxChunks, ot);
        tx = ints(maxChunks, taps); tk = ints(maxChunks, taps);
        ftx = ints(maxChunks, taps); ftk = ints(maxChunks, taps);
        int maxK = 1;
        for (int v : kS) maxK = Math.max(maxK, v);
        innerT = ints(maxChunks, maxK); innerB = ints(maxChunks, maxK);
        coord = ints(maxChunks, rr);
        blocksPerGroup = (g.coutPerGroup + Conv.block() - 1) / Conv.block();
        panel = taps * g.cinPerGroup * Conv.block();
        packed = new float[(int) Math.min(Integer.MAX_VALUE - 8, (long) g.groups * blocksPerGroup * panel)];
        // A row's jobs keep their tap lists here until the row is flushed; capped so that a huge
        // geometry flushes more often instead of allocating without bound.
        int innerO = outS[rr - 1];
        int q = a[rr - 1] / Conv.gcd(str[rr - 1], a[rr - 1]);
        // Batch-blocked calls (short innermost output, e.g. the kernel-gradient conv) keep the jobs
        // of many rows before a flush, so that a segment of a huge panel is reused by all of them.
        jobCap = Math.max(64, innerO + q);
        jobRows = ints(maxChunks, jobCap * Conv.rows());
        listCap = (int) Math.max(2L * taps, Math.min((long) jobCap * taps, 1 << 18));
        jobTx = ints(maxChunks, listCap); jobTk = ints(maxChunks, listCap);
        jobs = ints(maxChunks, jobCap * Conv.JOB_FIELDS);
        // One array per chunk rather than one int per chunk in a shared array: these are
        // written on every job, and neighbouring chunks' counters would share a cache line.
        jobState = new int[maxChunks][STAGED + PAD + 1];
        // Staging of padded input rows (see ConvSimd.stagedRow): only without lhs dilation on the
        // innermost axis, and only while the buffer stays small.
        long sw = outS[rr - 1] == 0 ? 0 : (long) (outS[rr - 1] - 1) * str[rr - 1] + (long) (kS[rr - 1] - 1) * d[rr - 1] + 1;
        long stageLen = sw * ot * g.cin;
        boolean stageable = a[rr - 1] == 1 && sw > 0 && stageLen <= (1 << 20);
        stageWidth = stageable ? (int) sw : 0;
        // Bands of output rows (ConvSimd.bandUnit): 2-D, no lhs dilation, the band's input rows
        // staged within BAND_FLOATS, and at least MIN_BAND_UNITS units per call so that the call
        // still splits over threads. From the geometry only: the band decides which zero rows enter
        // the sums, and results must not depend on the thread count.
        int br = 1;
        long bandLen = 0;
        if (stageable && g.rank == 2 && a[0] == 1) {
            for (int rb = outS[0]; rb > 1; rb--) {
                long inRows = (long) (rb - 1) * str[0] + (long) (kS[0] - 1) * d[0] + 1;
                long bands = (outS[0] + rb - 1) / rb;
                if (inRows * sw * g.cin <= BAND_FLOATS && (long) g.batch * bands >= MIN_BAND_UNITS) {
                    br = rb;
                    bandLen = inRows * sw * g.cin;
                    break;
                }
            }
        }
        bandRows = br;
        bands = br > 1 ? (outS[0] + br - 1) / br : 0;
        stage = floats(maxChunks, stageable ? (int) Math.max(stageLen, bandLen) : 0);
        // Capped at 32K floats per chunk (layer D: 28 x 32 x 5 = 4480), so a tall kernel on a wide band does not grow the workspace unbounded.
        tapRows = br > 1 && g.cin == 1 && g.groups == 1 && d[1] == 1 && (long) br * stageWidth * kS[0] <= 1 << 15;
        cols = floats(tapRows ? maxChunks : 0, tapRows ? br * stageWidth * kS[0] : 0);
        tile = floats(maxChunks, Conv.rows() * Conv.block());
        planes = ConvPlanes.of(g);
        colX = floats(planes != null ? maxChunks : 0, planes != null ? planes.xsLen : 0);
        colTile = floats(planes != null ? maxChunks : 0, 12 * Conv.lanes());
        colTable = new float[planes != null ? taps * g.cin * g.cout : 0];
    }
}
