package dev.adjoint.kernels;

/**
 * The float64 inner loops of {@link DGemm} and {@link DConv}: each routes to {@link VecDoubleOps}
 * (DoubleVector) or, when the Vector API is unavailable, to the scalar loop here.
 */
final class DoubleOps {
    private DoubleOps() {}

    static final boolean SIMD = Simd.ENABLED;

    /** {@code y[yo..yo+n) += a * x[xo..xo+n)}. */
    static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
        if (SIMD) { VecDoubleOps.axpy(a, x, xo, y, yo, n); return; }
        for (int i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    /** {@code y[yo..yo+n) += a0*x[x0..] + a1*x[x0+ld..] + a2*x[x0+2ld..] + a3*x[x0+3ld..]}: four rows of B per pass over y. */
    static void axpy4(double a0, double a1, double a2, double a3, double[] x, int xo, int ld, double[] y, int yo, int n) {
        if (SIMD) { VecDoubleOps.axpy4(a0, a1, a2, a3, x, xo, ld, y, yo, n); return; }
        for (int i = 0; i < n; i++) {
            y[yo + i] += a0 * x[xo + i] + a1 * x[xo + ld + i] + a2 * x[xo + 2 * ld + i] + a3 * x[xo + 3 * ld + i];
        }
    }
}
