package dev.adjoint.kernels;

/**
 * The kernel gradient of a conv whose Cout is a whole number of micro-kernel channel blocks
 * ({@code 2 x} the vector width), {@code dk[ci][t][co] = sum over (n, o) of x[n, o*s + t*d - lo, ci] *
 * dy[n, o, co]} (one group, no lhs dilation, one or two spatial axes), as the GEMM it is:
 * {@code dk[(t, ci), co] = sum over positions p of x[p + t, ci] * dy[p, co]}, with both operands read
 * in their channels-last order: a dy row is Cout contiguous floats, x's channels are contiguous per
 * tap. The conv the transpose rules build instead (dy as a megabyte "kernel" repacked into panels
 * on every call, x relaid to [Cin, S.., N] by a transpose step) moved both operands once more than
 * this needs (docs/perf/conv.md, wave 5).
 *
 * <p>Per unit (a batch entry and a block of output rows, ~256 positions), the input rows the block
 * reads are staged zero-padded (so every tap is valid at every position, and a register tile may
 * mix taps: Cin = 1 with a 5x5 window is 25 rows of one channel); dy is read in place. A
 * micro-kernel keeps 8 (tap, ci) rows x 2 vectors of Cout (4 x 2 with 16 registers; 6 x 4 when
 * Cout is a multiple of 4 vectors and there are 32) in registers over the block's positions,
 * continuing the tile's sums from the piece's accumulator array.
 *
 * <p>Deterministic at every thread count: the units are cut into a fixed number of pieces that
 * depends on the geometry only; each piece sums its units in order into its own accumulators; the
 * pieces are added in piece order. Threads only decide which thread runs a piece.
 *
 * <p>Output layout: {@code [Cin][taps][Cout]}, the graph's kernel-gradient conv's own output
 * ({@code Conv.kernelGradient} of graph-core), from {@code dkOff}; or, made {@link #tapMajor},
 * {@code [taps][Cin][Cout]}, the forward kernel's own layout, which the transpose the transpose
 * rules put after the kernel-gradient conv then reads densely (no copy step).
 */
public final class ConvKernelGradientWide {
    /** The forward geometry. */
    public final ConvGeometry geometry;
    // Spatial attributes widened to two axes (a unit outer axis for rank 1).
    final int H, W, Ho, Wo, KH, KW, sH, sW, dH, dW, loH, loW;
    /** Output rows per unit, units per batch entry, all units; staged rows and columns per unit, floats. */
    final int rowsPerUnit, unitsPerEntry, units, stageRows, stageCols, stageLen;
    /** (tap, ci) rows of the GEMM: offset of each into the staged x of position (0, 0). */
    final int[] rowOff;
    /**
     * Per position of a unit (row-major over its rows and columns): its offset into the staged x.
     * One flat loop over a unit's positions instead of rows x columns: layer A's 14-wide rows made
     * the inner loop too short for C2's unrolled main loop.
     */
    final int[] positionOff;
    /** Pieces the units are cut into (fixed by the geometry); accumulator floats per piece (taps * Cin * Cout). */
    final int pieces, accLen;
    /** Per piece: staged input rows, accumulators [(t, ci)][Cout]. */
    final float[][] stage, acc;
    final WorkSplitter.Chunk task;
    /** Whether dk is written [taps][Cin][Cout] instead of [Cin][taps][Cout]. */
    public final boolean tapMajor;

    // The current call's operands.
    float[] x, dy;
    int xOff, dyOff;

    /** Most pieces: 4 per thread on 2 threads (an unlucky, preempted thread is waited on less). */
    static final int MAX_PIECES = 8;
    /**
     * Positions per unit aimed at: enough to amortize a tile's accumulator load and store, few
     * enough that the tile's dy slice (positions x 2 vectors at a stride of Cout floats, so on a
     * quarter of L1's sets for Cout = 64) stays in L1. Measured (thread CPU minimum, load 11-14):
     * 64 against 256, B 14.0-14.2 vs 15.5-16.4 ms, C 3.6-4.6 vs 4.1-4.7, D 0.32-0.33 vs 0.39-0.41, A
     * 1.6-2.1 vs 1.5-1.8 (smaller units restage the rows they share). {@code adjoint.conv.kgPositions} overrides it.
     */
    static final int UNIT_POSITIONS = Integer.getInteger("adjoint.conv.kgPositions", 64);
    /** Largest staged block per piece (floats) the kernel takes on. */
    static final int MAX_STAGE = 1 << 20;

    /** Output channels per micro-kernel block: two vectors (a nominal 32 without the Vector API). */
    static int block() { return Simd.ENABLED ? ConvKernelGradientWideSimd.BLOCK : 32; }

    /**
     * Whether the kernel applies to forward geometry {@code g}.
     *
     * @param g the forward conv
     * @return true for one group, one or two spatial axes, no lhs dilation, Cout a positive multiple of
     *         two vectors, non-empty and bounded staging
     */
    public static boolean applies(ConvGeometry g) {
        if (g.groups != 1 || g.rank < 1 || g.rank > 2 || g.cout % block() != 0 || g.outputLength() == 0) return false;
        for (int a = 0; a < g.rank; a++) if (g.lhsDilation(a) != 1) return false;
        int r = g.rank, ia = r - 1;
        int wo = g.outSize(ia), kw = g.kernelSize(ia), sw = g.stride(ia), dw = g.rhsDilation(ia);
        int kh = r == 2 ? g.kernelSize(0) : 1, dh = r == 2 ? g.rhsDilation(0) : 1;
        long cols = (long) (wo - 1) * sw + (long) (kw - 1) * dw + 1;
        return (long) g.cin * ((long) (kh - 1) * dh + 1) * cols <= MAX_STAGE && g.taps() * g.cin * g.cout <= Integer.MAX_VALUE / 16;
    }

    /**
     * Makes the kernel's buffers for one forward geometry.
     *
     * @param g the forward conv
     * @throws IllegalArgumentException if {@link #applies} is false
     */
    public ConvKernelGradientWide(ConvGeometry g) { this(g, false); }

    /**
     * Makes the kernel's buffers for one forward geometry and output layout.
     *
     * @param g the forward conv
     * @param tapMajor write dk as [taps][Cin][Cout] (the forward kernel's layout) instead of [Cin][taps][Cout]
     * @throws IllegalArgumentException if {@link #applies} is false
     */
    public ConvKernelGradientWide(ConvGeometry g, boolean tapMajor) {
        this.tapMajor = tapMajor;
        if (!applies(g)) throw new IllegalArgumentException("conv kernel gradient: the wide-Cout kernel does not apply to " + g);
        geometry = g;
        boolean two = g.rank == 2;
        int ia = g.rank - 1;
        H = two ? g.inSize(0) : 1; W = g.inSize(ia); Ho = two ? g.outSize(0) : 1; Wo = g.outSize(ia);
        KH = two ? g.kernelSize(0) : 1; KW = g.kernelSize(ia); sH = two ? g.stride(0) : 1; sW = g.stride(ia);
        dH = two ? g.rhsDilation(0) : 1; dW = g.rhsDilation(ia); loH = two ? g.padLo(0) : 0; loW = g.padLo(ia);
        stageCols = (Wo - 1) * sW + (KW - 1) * dW + 1;
        int cin = g.cin;
        // Rows per unit: about UNIT_POSITIONS positions, the entry's rows cut evenly, within the staging bound.
        int target = Math.max(1, Math.min(Ho, UNIT_POSITIONS / Math.max(1, Wo)));
        while (target > 1 && (long) ((target - 1) * sH + (KH - 1) * dH + 1) * stageCols * cin > MAX_STAGE) target--;
        int per = (Ho + target - 1) / target;
        rowsPerUnit = (Ho + per - 1) / per;
        unitsPerEntry = (Ho + rowsPerUnit - 1) / rowsPerUnit;
        units = g.batch * unitsPerEntry;
        stageRows = (rowsPerUnit - 1) * sH + (KH - 1) * dH + 1;
        stageLen = stageRows * stageCols * cin;
        int taps = (int) g.taps();
        rowOff = new int[taps * cin];
        for (int kh = 0; kh < KH; kh++)
            for (int kw = 0; kw < KW; kw++)
                for (int ci = 0; ci < cin; ci++)
                    rowOff[(kh * KW + kw) * cin + ci] = (kh * dH * stageCols + kw * dW) * cin + ci;
        positionOff = new int[rowsPerUnit * Wo];
        for (int r = 0; r < rowsPerUnit; r++)
            for (int w = 0; w < Wo; w++) positionOff[r * Wo + w] = (r * sH * stageCols + w * sW) * cin;
        accLen = taps * cin * g.cout;
        pieces = Math.min(MAX_PIECES, units);
        // Padded per-piece arrays: pieces run on different threads write their own.
        stage = ConvWorkspace.floats(pieces, stageLen);
        acc = ConvWorkspace.floats(pieces, accLen);
        task = i -> ConvKernelGradientWideSimd.piece(this, i);
    }

    /**
     * Computes dk from x[N, S.., Cin] and dy[N, O.., Cout] (both dense, channels-last).
     *
     * @param x     forward input
     * @param xOff  its offset
     * @param dy    output cotangent
     * @param dyOff its offset
     * @param dk    result [Cin][taps][Cout] ([taps][Cin][Cout] if {@link #tapMajor}), overwritten
     * @param dkOff its offset
     * @param split how to split the pieces over threads
     */
    public void run(float[] x, int xOff, float[] dy, int dyOff, float[] dk, int dkOff, WorkSplitter split) {
        ConvGeometry g = geometry;
        check("x", x, xOff, g.inputLength());
        check("dy", dy, dyOff, g.outputLength());
        check("dk", dk, dkOff, g.kernelLength());
        if (!Simd.ENABLED) { ConvKernelGradientScalar.run(geometry, tapMajor, x, xOff, dy, dyOff, dk, dkOff); return; }
        this.x = x; this.dy = dy; this.xOff = xOff; this.dyOff = dyOff;
        try {
            // Bytes: x staged (about once, plus the rows blocks share) and dy read once per tap-row block.
            if (Parallelism.worthSplitting(split, 4.0 * (g.inputLength() + g.outputLength()), g.flops())) split.forEach(pieces, task);
            else for (int p = 0; p < pieces; p++) ConvKernelGradientWideSimd.piece(this, p);
        } finally {
            this.x = null; this.dy = null;
        }
        ConvKernelGradientWideSimd.reduce(this, dk, dkOff);
    }

    private static void check(String name, float[] a, int off, long len) {
        if (off < 0 || off + len > a.length)
            throw new IllegalArgumentException("conv kernel gradient: " + name + " needs " + len + " floats from offset " + off
                    + " but its array has " + a.length);
    }
}
