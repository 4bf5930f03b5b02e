package dev.adjoint.kernels;

/**
 * The convolution by its definition, one output element at a time, in plain Java: the path
 * {@link Conv} takes when the Vector API is unavailable ({@link Simd#ENABLED} is false). Slow, but
 * every geometry and kernel layout is handled, so the executor stays correct without the module.
 */
final class ConvScalar {
    private ConvScalar() {}

    /** With {@code o} and {@code t} scratch of at least rank ints each (the workspace's, so that a call allocates nothing). */
    static void forward(ConvGeometry g, float[] x, int xOff, float[] k, int kOff, ConvKernelLayout layout, float[] y, int yOff,
                        int[] o, int[] t) {
        int r = g.rank;
        long inSpatial = g.inSpatial(), outSpatial = g.outSpatial(), taps = g.taps();
        for (int n = 0; n < g.batch; n++) {
            for (long op = 0; op < outSpatial; op++) {
                unravelOut(g, op, o);
                for (int co = 0; co < g.cout; co++) {
                    int group = co / g.coutPerGroup, local = co % g.coutPerGroup;
                    double acc = 0;
                    taps:
                    for (long tap = 0; tap < taps; tap++) {
                        unravelTaps(g, tap, t);
                        long in = 0;
                        for (int a = 0; a < r; a++) {
                            // Position in the lhs-dilated input; holes between dilated elements are zero.
                            long p = (long) o[a] * g.stride(a) + (long) t[a] * g.rhsDilation(a) - g.padLo(a);
                            if (p < 0 || p % g.lhsDilation(a) != 0 || p / g.lhsDilation(a) >= g.inSize(a)) continue taps;
                            in = in * g.inSize(a) + p / g.lhsDilation(a);
                        }
                        long xBase = xOff + ((n * inSpatial + in) * g.cin + (long) group * g.cinPerGroup);
                        long kBase = kOff + layout.offset + (long) group * layout.groupStride + tap * layout.tapStride
                                + (long) local * layout.outStride;
                        for (int ci = 0; ci < g.cinPerGroup; ci++) {
                            acc += x[(int) (xBase + ci)] * k[(int) (kBase + (long) ci * layout.inStride)];
                        }
                    }
                    y[(int) (yOff + (n * outSpatial + op) * g.cout + co)] = (float) acc;
                }
            }
        }
    }

    // Through the geometry's accessors: outSizes()/kernelSizes() return copies.
    private static void unravelOut(ConvGeometry g, long flat, int[] idx) {
        for (int a = g.rank - 1; a >= 0; a--) {
            idx[a] = (int) (flat % g.outSize(a));
            flat /= g.outSize(a);
        }
    }

    private static void unravelTaps(ConvGeometry g, long flat, int[] idx) {
        for (int a = g.rank - 1; a >= 0; a--) {
            idx[a] = (int) (flat % g.kernelSize(a));
            flat /= g.kernelSize(a);
        }
    }
}
