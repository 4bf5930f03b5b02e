package dev.adjoint.kernels;

/**
 * Sizes of the {@link Conv.Path#SMALL_COUT} path for one geometry (see {@link ConvFlat}): the
 * output row is vectorized along its flattened (column, output channel) axis, which is contiguous
 * in y, instead of along the output channels alone, which fill a vector badly when Cout is below
 * the vector width (LeNet's 6 channels use 6 of 16 lanes, and the channel-blocked kernel's two
 * vectors 6 of 32).
 *
 * <p>The input of one batch entry is staged zero-padded on every axis and expanded: each input
 * element repeated Cout times, one plane per input channel, so that output element (column w,
 * channel c) of tap (kh, kw, ci) reads {@code plane[ci][(w + kw*d)*Cout + c]}: consecutive
 * flattened outputs read consecutive floats. The kernel value it needs, {@code k[tap][ci][c]},
 * repeats along the flattened axis with period Cout, so a block of {@link #VECTORS} vectors that
 * starts at a multiple of {@code VECTORS * lanes} floats always needs the same {@code VECTORS}
 * kernel vectors per (tap, ci): a table made once per call. That needs Cout to divide
 * {@code VECTORS * lanes}.
 *
 * @param planeLen floats per expanded plane (one padded input row of one channel), with slack for
 *                 whole-vector reads and writes past the row
 * @param rowLen   floats per padded input row (all channel planes)
 * @param rows     padded input rows staged per batch entry
 * @param width    padded input columns staged per row
 * @param flatLen  floats per output row (Wout * Cout)
 * @param table    floats of the kernel table (taps * Cin * VECTORS * lanes)
 */
record ConvFlatLayout(int planeLen, int rowLen, int rows, int width, int flatLen, int table) {
    /** Vectors per block of the flattened output row (and kernel vectors per (tap, channel)). */
    static final int VECTORS = 3;
    /** Output rows per micro-kernel block. */
    static final int ROWS = 4;
    /** Largest staged input (floats per chunk) and kernel table the path takes on; beyond, the channel-blocked path. */
    static final int MAX_STAGE = 1 << 18, MAX_TABLE = 1 << 16;

    /**
     * The layout of {@code g} for vectors of {@code lanes} floats, or null when the path does not
     * apply: one group, one or two spatial axes, stride 1 on the innermost axis, no lhs dilation,
     * Cout below the vector width and dividing {@code VECTORS * lanes}, and staging buffers of
     * bounded size.
     */
    static ConvFlatLayout of(ConvGeometry g, int lanes) {
        int r = g.rank;
        if (g.groups != 1 || r < 1 || r > 2 || g.cout >= lanes || (VECTORS * lanes) % g.cout != 0) return null;
        int ia = r - 1;
        if (g.stride(ia) != 1) return null;
        for (int a = 0; a < r; a++) if (g.lhsDilation(a) != 1) return null;
        if (g.outputLength() == 0 || g.inputLength() == 0) return null;
        long width = (long) g.outSize(ia) + (long) (g.kernelSize(ia) - 1) * g.rhsDilation(ia);
        long rows = r == 1 ? 1 : (long) (g.outSize(0) - 1) * g.stride(0) + (long) (g.kernelSize(0) - 1) * g.rhsDilation(0) + 1;
        long plane = width * g.cout + 4L * lanes;
        long row = plane * g.cin, stage = row * rows;
        long table = g.taps() * g.cin * VECTORS * lanes;
        if (stage > MAX_STAGE || table > MAX_TABLE) return null;
        return new ConvFlatLayout((int) plane, (int) row, (int) rows, (int) width, g.outSize(ia) * g.cout, (int) table);
    }
}
