package dev.adjoint.kernels;

/**
 * Where the kernel of a conv sits in memory: element (group g, flat tap t, group-local input
 * channel i, group-local output channel o) is at
 * {@code offset + g*groupStride + t*tapStride + i*inStride + o*outStride} (strides may be negative).
 *
 * <p>The GEMM paths copy the kernel into packed panels on every call anyway, so reading it through
 * strides costs nothing extra, and it lets the two backward convs read the forward operands where
 * they are: the input-gradient conv reads k reversed with in/out swapped (no flipped copy of k), and the kernel-gradient conv reads dy[N, O.., Cout] as its kernel [O.., N, Cout] (no
 * transpose of dy). The depthwise path reads k[taps][C] contiguously, so it repacks another
 * layout into that order (once, for a constant kernel: {@link ConvWorkspace#assumeConstantKernel}).
 */
public final class ConvKernelLayout {
    /** Offset added to the kernel array offset (used for reversed taps). */
    public final int offset;
    /** Element strides. */
    public final int groupStride, tapStride, inStride, outStride;

    /**
     * A layout from explicit strides.
     *
     * @param offset      added to the kernel array offset
     * @param groupStride distance between groups
     * @param tapStride   distance between flat taps (row-major over the kernel's spatial axes)
     * @param inStride    distance between group-local input channels
     * @param outStride   distance between group-local output channels
     */
    public ConvKernelLayout(int offset, int groupStride, int tapStride, int inStride, int outStride) {
        this.offset = offset;
        this.groupStride = groupStride;
        this.tapStride = tapStride;
        this.inStride = inStride;
        this.outStride = outStride;
    }

    /**
     * The standard HWIO layout k[K.., Cin/groups, Cout] of a geometry.
     *
     * @param g the geometry
     * @return its standard layout
     */
    public static ConvKernelLayout standard(ConvGeometry g) {
        return new ConvKernelLayout(0, g.coutPerGroup, g.cinPerGroup * g.cout, g.cout, 1);
    }

    /**
     * The forward kernel k[K.., Cin/G, Cout] seen as the kernel of the input-gradient conv
     * (graph-core's {@code Conv.inputGradient}):
     * taps reversed, and per group the forward output channels become input channels and the
     * forward input channels output channels.
     *
     * @param forward the forward geometry
     * @return the layout, to be used with the forward kernel array and offset
     */
    public static ConvKernelLayout flippedForInputGradient(ConvGeometry forward) {
        int tapStride = forward.cinPerGroup * forward.cout;
        return new ConvKernelLayout((int) (forward.taps() - 1) * tapStride, forward.coutPerGroup, -tapStride, 1, forward.cout);
    }

    /**
     * The output cotangent dy[N, O.., Cout] of a forward conv (groups 1) seen as the kernel
     * [O.., N, Cout] of the kernel-gradient conv (graph-core's {@code Conv.kernelGradient}).
     *
     * @param forward the forward geometry
     * @return the layout, to be used with the dy array and offset
     */
    public static ConvKernelLayout cotangentForKernelGradient(ConvGeometry forward) {
        return new ConvKernelLayout(0, 0, forward.cout, (int) forward.outSpatial() * forward.cout, 1);
    }

    boolean isStandard(ConvGeometry g) {
        return offset == 0 && groupStride == g.coutPerGroup && tapStride == g.cinPerGroup * g.cout
                && inStride == g.cout && outStride == 1;
    }
}
