package dev.adjoint.kernels;

/**
 * The kernel gradient of a conv with few output channels, {@code dk[ci][t][co] = sum over (n, o)
 * of x[n, o*s + t*d - lo, ci] * dy[n, o, co]} (one group, no lhs dilation, one or two spatial
 * axes, Cout below the vector width), as a dedicated kernel instead of a conv whose "kernel" is
 * dy: a long reduction (every batch entry and output position) into few outputs (LeNet's first
 * layer: 50176 positions into 150 outputs).
 *
 * <p>Vectorized along the output columns: per batch entry, x is staged as zero-padded planes
 * [ci][padded row][column phase][column] (a stride s on the columns becomes s phase planes, so that
 * consecutive output columns read consecutive floats) and dy as planes [co][row][column] padded
 * with zeros to whole vectors. A micro-kernel keeps 4 (tap, ci) rows x 3 output channels of vector
 * accumulators in registers over all positions of the entry (4 x loads and 3 dy loads per 12 FMAs,
 * every lane useful); lanes are summed at the end.
 *
 * <p>Deterministic at every thread count: the batch is cut into a fixed number of pieces that
 * depends on the geometry only; each piece sums into its own accumulators, in batch, row, column
 * order; the pieces' lane sums are added in piece order. Threads only decide which thread runs a
 * piece.
 *
 * <p>Output layout: {@code [Cin][taps][Cout]}, the graph's kernel-gradient conv's own output
 * ({@code Conv.kernelGradient} of graph-core), from {@code dkOff}.
 */
public final class ConvKernelGradient {
    /** The forward geometry. */
    public final ConvGeometry geometry;
    /** The staged layout of x (shared with the small-Cout forward). */
    final ConvPlanes planes;
    /** Pieces the batch is cut into (fixed by the geometry). */
    final int pieces;
    // Spatial attributes widened to two axes (a unit outer axis for rank 1).
    final int H, W, Ho, Wo, KH, KW, sH, sW, dH, dW, loH, loW;
    /** Lanes, vector columns per output row (Wo rounded up), staged plane widths and sizes. */
    final int lanes, wv, up, hp, xsLen, dysLen;
    /** (tap, ci) rows of the reduction: offset of each into the staged x of output row 0. */
    final int[] rowOff;
    /** Blocks of 4 rows, groups of 3 output channels; accumulator floats per piece. */
    final int rowBlocks, chanGroups, accLen;
    /** Per piece: staged x, staged dy, vector accumulators [rowBlock][chanGroup][12][lanes]. */
    final float[][] xs, dys, acc;
    final WorkSplitter.Chunk task;

    // The current call's operands.
    float[] x, dy;
    int xOff, dyOff;

    /** Rows and output channels per micro-kernel block. */
    static final int ROWS = 4, CHANS = 3;
    /** Most pieces: enough for 4 chunks per thread on 2 threads. */
    static final int MAX_PIECES = 8;
    /** Largest staged dy per piece (floats) the kernel takes on. */
    static final int MAX_STAGE = ConvPlanes.MAX_STAGE;

    /**
     * Whether the kernel applies to forward geometry {@code g}.
     *
     * @param g the forward conv
     * @return true for one group, one or two spatial axes, no lhs dilation, Cout below the vector width and bounded staging ({@link ConvPlanes#of})
     */
    public static boolean applies(ConvGeometry g) {
        ConvPlanes p = ConvPlanes.of(g);
        return p != null && (long) g.cout * p.Ho * p.wv <= MAX_STAGE;
    }

    /**
     * Makes the kernel's buffers for one forward geometry.
     *
     * @param g the forward conv
     * @throws IllegalArgumentException if {@link #applies} is false
     */
    public ConvKernelGradient(ConvGeometry g) {
        if (!applies(g)) throw new IllegalArgumentException("conv kernel gradient: the small-Cout kernel does not apply to " + g);
        geometry = g;
        planes = ConvPlanes.of(g);
        ConvPlanes p = planes;
        H = p.H; W = p.W; Ho = p.Ho; Wo = p.Wo; KH = p.KH; KW = p.KW; sH = p.sH; sW = p.sW; dH = p.dH; dW = p.dW;
        loH = p.loH; loW = p.loW; lanes = p.lanes; wv = p.wv; up = p.up; hp = p.hp; xsLen = p.xsLen;
        dysLen = g.cout * Ho * wv;
        rowOff = p.rowOff;
        int m = rowOff.length;
        rowBlocks = (m + ROWS - 1) / ROWS;
        chanGroups = (g.cout + CHANS - 1) / CHANS;
        accLen = rowBlocks * chanGroups * ROWS * CHANS * lanes;
        pieces = Math.min(MAX_PIECES, g.batch);
        // Padded per-piece arrays: pieces run on different threads write their own.
        xs = ConvWorkspace.floats(pieces, xsLen);
        dys = ConvWorkspace.floats(pieces, dysLen);
        acc = ConvWorkspace.floats(pieces, accLen);
        task = i -> ConvKernelGradientSimd.piece(this, i);
    }

    /**
     * Computes dk from x[N, S.., Cin] and dy[N, O.., Cout] (both dense, channels-last).
     *
     * @param x     forward input
     * @param xOff  its offset
     * @param dy    output cotangent
     * @param dyOff its offset
     * @param dk    result [Cin][taps][Cout], overwritten
     * @param dkOff its offset
     * @param split how to split the pieces over threads
     */
    public void run(float[] x, int xOff, float[] dy, int dyOff, float[] dk, int dkOff, WorkSplitter split) {
        ConvGeometry g = geometry;
        check("x", x, xOff, g.inputLength());
        check("dy", dy, dyOff, g.outputLength());
        check("dk", dk, dkOff, g.kernelLength());
        if (!Simd.ENABLED) { ConvKernelGradientScalar.run(geometry, false, x, xOff, dy, dyOff, dk, dkOff); return; }
        this.x = x; this.dy = dy; this.xOff = xOff; this.dyOff = dyOff;
        try {
            if (Parallelism.worthSplitting(split, 0, g.flops())) split.forEach(pieces, task);
            else for (int p = 0; p < pieces; p++) ConvKernelGradientSimd.piece(this, p);
        } finally {
            this.x = null; this.dy = null;
        }
        ConvKernelGradientSimd.reduce(this, dk, dkOff);
    }

    private static void check(String name, float[] a, int off, long len) {
        if (off < 0 || off + len > a.length)
            throw new IllegalArgumentException("conv kernel gradient: " + name + " needs " + len + " floats from offset " + off
                    + " but its array has " + a.length);
    }
}
