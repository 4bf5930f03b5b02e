package dev.adjoint.kernels;

/**
 * The column-vectorized layout of the small-Cout kernels ({@link ConvKernelGradient} and the
 * {@link Conv.Path#SMALL_COUT} forward): one batch entry of x staged as zero-padded planes
 * {@code [ci][padded row][column phase][column]}, so that output columns {@code w..w+L-1} of tap
 * (kh, kw) read consecutive floats {@code plane[ci][o_h*s_h + kh*d_h][(kw*d_w) mod s_w][w + (kw*d_w) div s_w]}
 * (a column stride s becomes s phase planes). Output rows are rounded up to whole vectors
 * ({@link #wv}); padding lanes read zeros or real input past the row and are never stored (the
 * forward) or meet zero cotangents (the kernel gradient). Geometry-only, no Vector API.
 *
 * <p>Spatial attributes are widened to two axes (a unit outer axis for one spatial axis).
 */
final class ConvPlanes {
    final ConvGeometry geometry;
    final int H, W, Ho, Wo, KH, KW, sH, sW, dH, dW, loH, loW;
    /** Lanes, output columns rounded up to whole vectors, staged columns per phase plane, staged rows. */
    final int lanes, wv, up, hp;
    /** Floats of one staged entry. */
    final int xsLen;
    /** Floats between consecutive output rows in the staged x (s_h padded rows). */
    final int rowX;
    /** Per (tap, ci) row e = t * Cin + ci (t = kh * KW + kw): its offset into the staged x of output row 0. */
    final int[] rowOff;

    /** Largest staged entry (floats) the small-Cout kernels take on. */
    static final int MAX_STAGE = 1 << 18;

    private ConvPlanes(ConvGeometry g) {
        geometry = g;
        boolean two = g.rank == 2;
        int ia = g.rank - 1;
        H = two ? g.inSize(0) : 1; Ho = two ? g.outSize(0) : 1; KH = two ? g.kernelSize(0) : 1;
        sH = two ? g.stride(0) : 1; dH = two ? g.rhsDilation(0) : 1; loH = two ? g.padLo(0) : 0;
        W = g.inSize(ia); Wo = g.outSize(ia); KW = g.kernelSize(ia); sW = g.stride(ia); dW = g.rhsDilation(ia); loW = g.padLo(ia);
        lanes = Conv.lanes();
        wv = (Wo + lanes - 1) / lanes * lanes;
        up = wv + (KW - 1) * dW / sW + 1;
        hp = (Ho - 1) * sH + (KH - 1) * dH + 1;
        xsLen = g.cin * hp * sW * up;
        rowX = sH * sW * up;
        rowOff = new int[(int) g.taps() * g.cin];
        for (int kh = 0, e = 0; kh < KH; kh++)
            for (int kw = 0; kw < KW; kw++)
                for (int ci = 0; ci < g.cin; ci++, e++) {
                    int q = kw * dW;
                    rowOff[e] = ((ci * hp + kh * dH) * sW + q % sW) * up + q / sW;
                }
    }

    /**
     * The layout of {@code g}, or null when it does not apply: one group, one or two spatial axes,
     * no lhs dilation, Cout below the vector width, a staged entry of at most {@link #MAX_STAGE} floats.
     */
    static ConvPlanes of(ConvGeometry g) {
        int r = g.rank, lanes = Conv.lanes();
        if (g.groups != 1 || r < 1 || r > 2 || g.cout >= lanes || g.batch == 0 || g.outputLength() == 0 || g.inputLength() == 0)
            return null;
        for (int a = 0; a < r; a++) if (g.lhsDilation(a) != 1) return null;
        int ia = r - 1;
        long wv = ((long) g.outSize(ia) + lanes - 1) / lanes * lanes;
        long up = wv + (long) (g.kernelSize(ia) - 1) * g.rhsDilation(ia) / g.stride(ia) + 1;
        long hp = r == 1 ? 1 : (long) (g.outSize(0) - 1) * g.stride(0) + (long) (g.kernelSize(0) - 1) * g.rhsDilation(0) + 1;
        if (g.cin * hp * g.stride(ia) * up > MAX_STAGE || g.taps() * g.cin > MAX_STAGE) return null;
        return new ConvPlanes(g);
    }

    /** Stages batch entry n of x (from xOff) into {@code xs}: every staged float is written. */
    void stage(float[] x, int xOff, int n, float[] xs) {
        int cin = geometry.cin;
        int xn = xOff + n * H * W * cin;
        for (int ci = 0; ci < cin; ci++)
            for (int r = 0; r < hp; r++) {
                int ih = r - loH;
                boolean rowIn = ih >= 0 && ih < H;
                int xr = xn + ih * W * cin + ci;
                for (int ph = 0; ph < sW; ph++) {
                    int d = ((ci * hp + r) * sW + ph) * up;
                    if (!rowIn) { java.util.Arrays.fill(xs, d, d + up, 0f); continue; }
                    // Columns u with input column u*sW + ph - loW in [0, W): zeros around them.
                    int u0 = Math.max(0, Math.min(up, Math.floorDiv(loW - ph + sW - 1, sW)));
                    int u1 = Math.max(u0, Math.min(up, Math.floorDiv(W - 1 + loW - ph, sW) + 1));
                    java.util.Arrays.fill(xs, d, d + u0, 0f);
                    for (int u = u0, iw = u0 * sW + ph - loW; u < u1; u++, iw += sW) xs[d + u] = x[xr + iw * cin];
                    java.util.Arrays.fill(xs, d + u1, d + up, 0f);
                }
            }
    }
}
