package dev.adjoint.kernels;

/**
 * The float64 inner loops of {@link DGemm} and {@link DConv}: each routes to {@link VecDoubleOps}
 * (DoubleVector) or, when the Vector API is unavailable, to the scalar loop here.
 */
public final class DoubleOps {
    private DoubleOps() {}

    static final boolean SIMD = Simd.ENABLED;

    /**
     * {@code r[0..n) = op(x[0..n), y[0..n))} in float64 (the executor's f64 elementwise chains):
     * DoubleVector for add, sub, mul, div, max and min, a loop for pow and rem. Bitwise the same as
     * the scalar definitions ({@link Math#max} semantics for max and min).
     *
     * @param op the operation (its float64 meaning)
     */
    public static void binary(BinaryKernelOp op, double[] x, double[] y, double[] r, int n) {
        if (SIMD && op != BinaryKernelOp.POW && op != BinaryKernelOp.REM) { VecDoubleOps.binary(op, x, y, r, n); return; }
        for (int i = 0; i < n; i++) r[i] = apply(op, x[i], y[i]);
    }

    /** The float64 meaning of a binary kernel op. */
    static double apply(BinaryKernelOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> Math.pow(a, b);
            case REM -> a % b;
        };
    }

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
