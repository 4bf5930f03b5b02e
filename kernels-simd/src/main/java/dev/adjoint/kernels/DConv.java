package dev.adjoint.kernels;

/**
 * Float64 N-d channels-last convolution, x[N, S.., Cin] * k[K.., Cin/G, Cout] -> y[N, O.., Cout],
 * for every geometry {@link ConvGeometry} describes (strides, padding, both dilations, groups).
 * Direct: for each output position and each in-range tap, every input channel adds its kernel
 * row (contiguous over the group's output channels) with DoubleVector FMAs. Deterministic, one thread.
 */
public final class DConv {
    private final ConvGeometry g;
    private final int[] o, t, outSizes, kernelSizes;

    /** A conv of one geometry, with its index scratch made once so that calls allocate nothing. */
    public DConv(ConvGeometry g) {
        this.g = g;
        o = new int[g.rank];
        t = new int[g.rank];
        outSizes = g.outSizes();
        kernelSizes = g.kernelSizes();
    }

    /** The geometry. */
    public ConvGeometry geometry() { return g; }

    /**
     * Computes y = conv(x, k); y is overwritten.
     *
     * @param x input, from xOff
     * @param k kernel in the standard layout, from kOff
     * @param y output, from yOff
     */
    public void forward(double[] x, int xOff, double[] k, int kOff, double[] y, int yOff) {
        int r = g.rank;
        long inSpatial = g.inSpatial(), outSpatial = g.outSpatial(), taps = g.taps();
        int cpg = g.coutPerGroup, cin = g.cinPerGroup;
        java.util.Arrays.fill(y, yOff, (int) (yOff + g.outputLength()), 0.0);
        for (int n = 0; n < g.batch; n++) {
            for (long op = 0; op < outSpatial; op++) {
                unravel(op, outSizes, o);
                int yBase = (int) (yOff + (n * outSpatial + op) * g.cout);
                taps:
                for (long tap = 0; tap < taps; tap++) {
                    unravel(tap, kernelSizes, t);
                    long in = 0;
                    for (int a = 0; a < r; a++) {
                        // Position in the lhs-dilated input; holes between dilated elements are zero.
                        long p = (long) o[a] * g.stride(a) + (long) t[a] * g.rhsDilation(a) - g.padLo(a);
                        if (p < 0 || p % g.lhsDilation(a) != 0 || p / g.lhsDilation(a) >= g.inSize(a)) continue taps;
                        in = in * g.inSize(a) + p / g.lhsDilation(a);
                    }
                    for (int grp = 0; grp < g.groups; grp++) {
                        int xBase = (int) (xOff + (n * inSpatial + in) * g.cin + (long) grp * cin);
                        int kBase = (int) (kOff + tap * cin * g.cout + (long) grp * cpg);
                        for (int ci = 0; ci < cin; ci++) {
                            DoubleOps.axpy(x[xBase + ci], k, kBase + ci * g.cout, y, yBase + grp * cpg, cpg);
                        }
                    }
                }
            }
        }
    }

    private static void unravel(long flat, int[] dims, int[] idx) {
        for (int a = dims.length - 1; a >= 0; a--) {
            idx[a] = (int) (flat % dims[a]);
            flat /= dims[a];
        }
    }
}
