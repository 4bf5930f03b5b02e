package dev.adjoint.kernels;


/**
 * Convolution kernels over channels-last float arrays (see {@link ConvGeometry} for the layout and
 * the semantics, including lhs dilation and negative padding).
 *
 * <p>Every path is an implicit GEMM: for one output position the contraction runs over the list of
 * (tap, input channel) pairs that land on real input elements, so taps that fall into padding or
 * into lhs-dilation holes are skipped by construction (valid tap ranges are computed per output
 * position, never by testing elements for zero). Output channels are the vector axis (contiguous
 * in both k and y); a micro-kernel keeps 4 output positions x 2 vectors (16 channels on AVX2)
 * of accumulators in registers for the whole contraction, so y is written once, never
 * re-read. Output positions along the innermost spatial axis whose tap list is the full list
 * ("interior") are blocked four at a time; positions near the border get their own shortened
 * list. Without lhs dilation on the innermost axis, each output row's input rows are first copied
 * into a zero-padded staging buffer, which makes every position interior. When the innermost
 * output axis is too short to block along (e.g. the kernel-gradient conv, whose output is the
 * kernel), the rows of a block are batch entries instead. With d == a and one group, consecutive
 * taps are merged into one contiguous contraction run. The kernel is repacked on every call into
 * contiguous 16-channel panels (read through a {@link ConvKernelLayout}, so that the backward
 * convs need no relayout of k or dy), and a row's blocks run panel by panel.
 *
 * <p>Fast paths: {@link Path#POINTWISE} (1x1, stride 1, no padding: one GEMM over all N*S rows)
 * and {@link Path#DEPTHWISE} (groups == Cin == Cout: vectorized over channels, one FMA per tap).
 * {@link Path#AUTO} picks them when they apply. Work is split over batch x output rows through a
 * {@link WorkSplitter} when it is large enough to pay for waking threads. Results do not depend on
 * the thread count: each output element is summed in the same order by exactly one chunk.
 */
public final class Conv {
    private Conv() {}

    /** Ints per recorded job: rows, x base, x row stride, list start, list length, y base, y row stride, run length. */
    static final int JOB_FIELDS = 8;
    /**
     * Floats of packed panel per contraction segment: a panel bigger than this (the kernel-gradient
     * conv's "kernel" is dy, megabytes) is walked one segment at a time across all recorded jobs,
     * each job continuing its accumulators from y, so the segment is read from L2 by every job
     * instead of the whole panel streaming from memory once per job. 64K floats = 256 KB, a
     * quarter of Zen 4/5's L2. Each element's sum keeps its order (one chain, taps then channels,
     * stored and reloaded exactly), so results do not depend on the segmentation. Not final so
     * that tests can segment small problems.
     */
    static int segmentFloats = 1 << 16;

    /** Whether the GEMM paths stage padded input rows (see ConvSimd.stagedRow); tests turn it off to reach the border-list code. */
    static boolean staging = true;

    /** Output channels per micro-kernel block: the vector code's, or a nominal 16 when it is off (sizes workspaces only). */
    static int block() { return Simd.ENABLED ? ConvSimd.BLOCK : 16; }

    /** Floats per vector of the vector code, or a nominal 8 when it is off (sizes workspaces only). */
    static int lanes() { return Simd.ENABLED ? ConvSimd.L : 8; }

    /** Output rows per micro-kernel block (sizes the channel-tail tiles). */
    static int rows() { return Simd.ENABLED ? ConvSimd.ROWS : 4; }

    /** Which kernel to run; {@link #AUTO} picks the fastest that applies. */
    public enum Path {
        /** Pick automatically. */
        AUTO,
        /** The general kernel: any attributes. */
        GENERAL,
        /** 1x1 kernel, stride 1, no padding, no lhs dilation: a GEMM [N*S, Cin] x [Cin, Cout] per group. */
        POINTWISE,
        /** groups == Cin == Cout: vectorized over channels. */
        DEPTHWISE,
        /**
         * Fewer output channels than a vector holds, one group, one or two spatial axes, no lhs
         * dilation: vectorized along the output columns ({@link ConvColumns}), so that every lane
         * is used (the channel-blocked kernel used 6 of 32 lanes for LeNet's Cout = 6).
         */
        SMALL_COUT
    }

    /**
     * Computes y = conv(x, k) with the automatically chosen path.
     *
     * @param ws    workspace of the geometry (also says the geometry)
     * @param x     input, N*prod(S)*Cin floats from xOff
     * @param xOff  offset of x
     * @param k     kernel, prod(K)*Cin/groups*Cout floats from kOff
     * @param kOff  offset of k
     * @param y     output, N*prod(O)*Cout floats from yOff, overwritten
     * @param yOff  offset of y
     * @param split how to split the work over threads
     */
    public static void forward(ConvWorkspace ws, float[] x, int xOff, float[] k, int kOff, float[] y, int yOff, WorkSplitter split) {
        forward(ws, x, xOff, k, kOff, y, yOff, split, Path.AUTO);
    }

    /**
     * Computes y = conv(x, k) with the given path.
     *
     * @param ws    workspace of the geometry
     * @param x     input
     * @param xOff  offset of x
     * @param k     kernel
     * @param kOff  offset of k
     * @param y     output, overwritten
     * @param yOff  offset of y
     * @param split how to split the work over threads
     * @param path  the kernel to use
     * @throws IllegalArgumentException if an array is too short or the path does not apply
     */
    public static void forward(ConvWorkspace ws, float[] x, int xOff, float[] k, int kOff, float[] y, int yOff,
                               WorkSplitter split, Path path) {
        forward(ws, x, xOff, k, kOff, ws.standardLayout, y, yOff, split, path);
    }

    /**
     * Computes y = conv(x, k) with the kernel read through a {@link ConvKernelLayout}, e.g. the
     * forward kernel for the input-gradient conv or dy for the kernel-gradient conv, without a
     * relayout pass.
     *
     * @param ws     workspace of the geometry
     * @param x      input
     * @param xOff   offset of x
     * @param k      kernel array
     * @param kOff   offset of the kernel in k (the layout's own offset is added)
     * @param layout where each kernel element is
     * @param y      output, overwritten
     * @param yOff   offset of y
     * @param split  how to split the work over threads
     * @param path   the kernel to use (the depthwise path repacks a non-standard layout into its own order)
     * @throws IllegalArgumentException if an array is too short or the path does not apply
     */
    public static void forward(ConvWorkspace ws, float[] x, int xOff, float[] k, int kOff, ConvKernelLayout layout,
                               float[] y, int yOff, WorkSplitter split, Path path) {
        forward(ws, x, xOff, k, kOff, layout, y, yOff, split, path, ConvEpilogue.NONE);
    }

    /**
     * Computes y = epilogue(conv(x, k)): the bias and clamp of {@code epilogue} are applied to each
     * block of outputs as soon as its sums are complete (one output row or band at a time, still in
     * cache), not in a second pass over y.
     *
     * @param ws       workspace of the geometry
     * @param x        input
     * @param xOff     offset of x
     * @param k        kernel array
     * @param kOff     offset of the kernel in k
     * @param layout   where each kernel element is
     * @param y        output, overwritten
     * @param yOff     offset of y
     * @param split    how to split the work over threads
     * @param path     the kernel to use
     * @param epilogue bias and clamp, {@link ConvEpilogue#NONE} for none
     * @throws IllegalArgumentException if an array is too short or the path does not apply
     */
    public static void forward(ConvWorkspace ws, float[] x, int xOff, float[] k, int kOff, ConvKernelLayout layout,
                               float[] y, int yOff, WorkSplitter split, Path path, ConvEpilogue epilogue) {
        ConvGeometry g = ws.geometry;
        if (epilogue.bias() != null) checkRange("bias", epilogue.bias(), epilogue.biasOffset(), g.cout);
        boolean standard = layout == ws.standardLayout || layout.isStandard(g);
        if (standard) checkRange("k", k, kOff, g.kernelLength());
        else checkLayout(g, k, kOff, layout);
        checkRange("x", x, xOff, g.inputLength());
        checkRange("y", y, yOff, g.outputLength());
        // Resolved (and checked) before the scalar fallback too, so both reject a path that does not apply.
        Path resolved = resolve(ws, path);
        if (g.outputLength() == 0) return;
        if (!Simd.ENABLED) {
            ConvScalar.forward(g, x, xOff, k, kOff, standard ? ws.standardLayout : layout, y, yOff, ws.coord[0], ws.coord[1]);
            if (!epilogue.isNone()) epilogue.apply(y, yOff, (int) g.outputLength(), g.cout);
            return;
        }
        ConvSimd.run(ws, x, xOff, k, kOff, layout, standard, y, yOff, split, resolved, epilogue);
    }

    /**
     * Tells which path {@link Path#AUTO} would run for this geometry.
     *
     * @param ws workspace of the geometry
     * @return the path (never AUTO)
     */
    public static Path chosenPath(ConvWorkspace ws) { return resolve(ws, Path.AUTO); }

    /**
     * Tells which path {@link Path#AUTO} would run for this geometry with the kernel read through {@code layout}.
     *
     * @param ws     workspace of the geometry
     * @param layout the kernel layout
     * @return the path (never AUTO)
     */
    public static Path chosenPath(ConvWorkspace ws, ConvKernelLayout layout) { return resolve(ws, Path.AUTO); }

    private static Path resolve(ConvWorkspace ws, Path path) {
        ConvGeometry g = ws.geometry;
        boolean pw = true;
        for (int i = 0; i < ws.r; i++)
            pw &= ws.kS[i] == 1 && ws.str[i] == 1 && ws.a[i] == 1 && ws.lo[i] == 0 && ws.outS[i] == ws.inS[i];
        boolean dw = g.groups == g.cin && g.cout == g.cin;
        boolean small = ws.planes != null;
        switch (path) {
            // Pointwise first (a GEMM over all positions keeps its panels hot), then the flat
            // small-Cout path (the channel-blocked and the depthwise kernels, for Cin = Cout = 1, would leave most lanes empty).
            case AUTO: return pw ? Path.POINTWISE : small ? Path.SMALL_COUT : dw ? Path.DEPTHWISE : Path.GENERAL;
            case SMALL_COUT: if (!small) throw new IllegalArgumentException("conv: small-Cout path needs one group, one or two spatial axes, no lhs dilation and Cout below the vector width: " + g); return path;
            case POINTWISE: if (!pw) throw new IllegalArgumentException("conv: pointwise path needs a 1x1 kernel, stride 1, no padding and no lhs dilation: " + g); return path;
            case DEPTHWISE: if (!dw) throw new IllegalArgumentException("conv: depthwise path needs groups == Cin == Cout: " + g); return path;
            default: return path;
        }
    }

    private static void checkRange(String name, float[] arr, int off, long len) {
        if (off < 0 || off + len > arr.length)
            throw new IllegalArgumentException("conv: " + name + " needs " + len + " floats from offset " + off
                    + " but its array has " + arr.length);
    }

    static int gcd(int p, int q) { while (q != 0) { int t = p % q; p = q; q = t; } return p; }

    private static void checkLayout(ConvGeometry g, float[] k, int kOff, ConvKernelLayout kl) {
        // No temporary arrays here: this runs on every call (JMH -prof gc caught 160 B per call).
        long base = (long) kOff + kl.offset;
        long v0 = (long) kl.groupStride * (g.groups - 1), v1 = (long) kl.tapStride * (g.taps() - 1);
        long v2 = (long) kl.inStride * (g.cinPerGroup - 1), v3 = (long) kl.outStride * (g.coutPerGroup - 1);
        long lo = base + Math.min(0, v0) + Math.min(0, v1) + Math.min(0, v2) + Math.min(0, v3);
        long hi = base + Math.max(0, v0) + Math.max(0, v1) + Math.max(0, v2) + Math.max(0, v3);
        if (g.kernelLength() > 0 && (lo < 0 || hi >= k.length))
            throw new IllegalArgumentException("conv: kernel layout reaches elements [" + lo + ", " + hi
                    + "] but the kernel array has " + k.length);
    }
}
