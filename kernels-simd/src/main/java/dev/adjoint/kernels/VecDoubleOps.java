package dev.adjoint.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/** DoubleVector loops behind {@link DoubleOps}; never loaded when the Vector API is absent. */
final class VecDoubleOps {
    private VecDoubleOps() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    static void binary(BinaryKernelOp op, double[] x, double[] y, double[] r, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case ADD -> { for (; i < ub; i += L) DoubleVector.fromArray(S, x, i).add(DoubleVector.fromArray(S, y, i)).intoArray(r, i); }
            case SUB -> { for (; i < ub; i += L) DoubleVector.fromArray(S, x, i).sub(DoubleVector.fromArray(S, y, i)).intoArray(r, i); }
            case MUL -> { for (; i < ub; i += L) DoubleVector.fromArray(S, x, i).mul(DoubleVector.fromArray(S, y, i)).intoArray(r, i); }
            case DIV -> { for (; i < ub; i += L) DoubleVector.fromArray(S, x, i).div(DoubleVector.fromArray(S, y, i)).intoArray(r, i); }
            case MAX -> { for (; i < ub; i += L) DoubleVector.fromArray(S, x, i).max(DoubleVector.fromArray(S, y, i)).intoArray(r, i); }
            case MIN -> { for (; i < ub; i += L) DoubleVector.fromArray(S, x, i).min(DoubleVector.fromArray(S, y, i)).intoArray(r, i); }
            case POW, REM -> { }
        }
        for (; i < n; i++) r[i] = DoubleOps.apply(op, x[i], y[i]);
    }

    static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
        DoubleVector va = DoubleVector.broadcast(S, a);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            DoubleVector.fromArray(S, x, xo + i).fma(va, DoubleVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = Math.fma(a, x[xo + i], y[yo + i]);
    }

    static void axpy4(double a0, double a1, double a2, double a3, double[] x, int xo, int ld, double[] y, int yo, int n) {
        DoubleVector v0 = DoubleVector.broadcast(S, a0), v1 = DoubleVector.broadcast(S, a1);
        DoubleVector v2 = DoubleVector.broadcast(S, a2), v3 = DoubleVector.broadcast(S, a3);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            DoubleVector acc = DoubleVector.fromArray(S, y, yo + i);
            acc = DoubleVector.fromArray(S, x, xo + i).fma(v0, acc);
            acc = DoubleVector.fromArray(S, x, xo + ld + i).fma(v1, acc);
            acc = DoubleVector.fromArray(S, x, xo + 2 * ld + i).fma(v2, acc);
            acc = DoubleVector.fromArray(S, x, xo + 3 * ld + i).fma(v3, acc);
            acc.intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            double acc = y[yo + i];
            acc = Math.fma(a0, x[xo + i], acc);
            acc = Math.fma(a1, x[xo + ld + i], acc);
            acc = Math.fma(a2, x[xo + 2 * ld + i], acc);
            acc = Math.fma(a3, x[xo + 3 * ld + i], acc);
            y[yo + i] = acc;
        }
    }
}
