package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops behind {@link BlockOps}: contiguous runs of floats. Exact ops
 * (IEEE add, mul, div, sqrt, compares) get scalar tails, which give the same bits. The
 * polynomial math ops (exp, log, tanh, logistic) differ from their scalar versions in the
 * last bit, so their tails go through the vector code too: where a chunk or block boundary
 * falls must not change a result.
 *
 * <p>Tails of the math ops: the ragged end is covered by one more full vector placed at
 * {@code n - L}, overlapping the previous one; lanes are independent, so the overlap is
 * written twice with equal values. Each vector is loaded before the previous one is stored,
 * so this is right when {@code d} is {@code x} (in place). The tail runs inside the main
 * loop because a call to a large vector method from a cold site after the loop is not
 * inlined, and a non-inlined vector call boxes its arguments (128 B per call). Only {@link BlockOps} refers to this class, and only when {@link Simd#ENABLED}, so
 * no vector type is ever resolved on a JVM without the incubator module.
 *
 * <p>The op switch sits inside the loop on purpose: it is loop-invariant and predicted
 * perfectly, and one loop per call site keeps this file reviewable; JMH with -prof gc shows
 * C2 still keeps every vector in registers (no boxing).
 */
final class VecBlockOps {
    private VecBlockOps() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final VectorShuffle<Float> REVERSE = VectorShuffle.fromOp(S, i -> L - 1 - i);
    /**
     * The in-register transpose's stages, one per power of two h < L: with {@code HIGHs} the
     * lanes whose bit h is set, {@code UPs} moves lane c - h to c there and {@code DOWNs} lane
     * c + h to c elsewhere. Separate constants, not arrays, so C2 sees each shuffle and mask
     * as a constant (from an array, the tile took 0.7 ns per element; see docs/perf/elementwise.md).
     */
    private static final VectorShuffle<Float> UP0 = up(0), UP1 = up(1), UP2 = up(2), UP3 = up(3);
    private static final VectorShuffle<Float> DOWN0 = down(0), DOWN1 = down(1), DOWN2 = down(2), DOWN3 = down(3);
    private static final VectorMask<Float> HIGH0 = high(0), HIGH1 = high(1), HIGH2 = high(2), HIGH3 = high(3);

    private static VectorShuffle<Float> up(int s) {
        int h = 1 << s;
        return h >= L ? null : VectorShuffle.fromOp(S, c -> (c & h) != 0 ? c - h : c);
    }

    private static VectorShuffle<Float> down(int s) {
        int h = 1 << s;
        return h >= L ? null : VectorShuffle.fromOp(S, c -> (c & h) == 0 ? c + h : c);
    }

    private static VectorMask<Float> high(int s) {
        int h = 1 << s;
        if (h >= L) return null;
        boolean[] m = new boolean[L];
        for (int c = 0; c < L; c++) m[c] = (c & h) != 0;
        return VectorMask.fromArray(S, m, 0);
    }

    static void unary(UnaryKernelOp op, float[] x, int xo, float[] d, int dO, int n) {
        switch (op) {
            case NEG -> uNeg(x, xo, d, dO, n);
            case EXP -> uExp(x, xo, d, dO, n);
            case LOG -> uLog(x, xo, d, dO, n);
            case TANH -> uTanh(x, xo, d, dO, n);
            case LOGISTIC -> uLogistic(x, xo, d, dO, n);
            case SQRT -> uSqrt(x, xo, d, dO, n);
            case RSQRT -> uRsqrt(x, xo, d, dO, n);
            case ABS -> uAbs(x, xo, d, dO, n);
            case SIGN -> uSign(x, xo, d, dO, n);
            // Scalar float64 definitions, rounded: exact to the last bit and the same in every JIT tier.
            case ERF, SIN, COS, ATAN, LOG1P, EXPM1, FLOOR, CEIL, ROUND -> {
                for (int i = 0; i < n; i++) d[dO + i] = op.apply(x[xo + i]);
            }
        }
    }

    private static void uNeg(float[] x, int xo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector.fromArray(S, x, xo + i).neg().intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = UnaryKernelOp.NEG.apply(x[xo + i]);
    }

    private static void uExp(float[] x, int xo, float[] d, int dO, int n) {
        if (n < L) { // lane-wise through the same vector code as long runs, so bits do not depend on n
            for (int k = 0; k < n; k++) d[dO + k] = VecMath.exp(FloatVector.broadcast(S, x[xo + k])).lane(0);
            return;
        }
        // See "Tails" in the class comment.
        int last = n - L, p = 0;
        FloatVector cur = FloatVector.fromArray(S, x, xo);
        while (true) {
            boolean more = p < last;
            int q = more ? Math.min(p + L, last) : p;
            FloatVector nxt = FloatVector.fromArray(S, x, xo + q);
            VecMath.exp(cur).intoArray(d, dO + p);
            if (!more) break;
            cur = nxt;
            p = q;
        }
    }

    private static void uLog(float[] x, int xo, float[] d, int dO, int n) {
        if (n < L) { // lane-wise through the same vector code as long runs, so bits do not depend on n
            for (int k = 0; k < n; k++) d[dO + k] = VecMath.log(FloatVector.broadcast(S, x[xo + k])).lane(0);
            return;
        }
        // See "Tails" in the class comment.
        int last = n - L, p = 0;
        FloatVector cur = FloatVector.fromArray(S, x, xo);
        while (true) {
            boolean more = p < last;
            int q = more ? Math.min(p + L, last) : p;
            FloatVector nxt = FloatVector.fromArray(S, x, xo + q);
            VecMath.log(cur).intoArray(d, dO + p);
            if (!more) break;
            cur = nxt;
            p = q;
        }
    }

    private static void uTanh(float[] x, int xo, float[] d, int dO, int n) {
        if (n < L) { // lane-wise through the same vector code as long runs, so bits do not depend on n
            for (int k = 0; k < n; k++) d[dO + k] = VecMath.tanh(FloatVector.broadcast(S, x[xo + k])).lane(0);
            return;
        }
        // See "Tails" in the class comment.
        int last = n - L, p = 0;
        FloatVector cur = FloatVector.fromArray(S, x, xo);
        while (true) {
            boolean more = p < last;
            int q = more ? Math.min(p + L, last) : p;
            FloatVector nxt = FloatVector.fromArray(S, x, xo + q);
            VecMath.tanh(cur).intoArray(d, dO + p);
            if (!more) break;
            cur = nxt;
            p = q;
        }
    }

    private static void uLogistic(float[] x, int xo, float[] d, int dO, int n) {
        if (n < L) { // lane-wise through the same vector code as long runs, so bits do not depend on n
            for (int k = 0; k < n; k++) d[dO + k] = VecMath.logistic(FloatVector.broadcast(S, x[xo + k])).lane(0);
            return;
        }
        // See "Tails" in the class comment.
        int last = n - L, p = 0;
        FloatVector cur = FloatVector.fromArray(S, x, xo);
        while (true) {
            boolean more = p < last;
            int q = more ? Math.min(p + L, last) : p;
            FloatVector nxt = FloatVector.fromArray(S, x, xo + q);
            VecMath.logistic(cur).intoArray(d, dO + p);
            if (!more) break;
            cur = nxt;
            p = q;
        }
    }

    private static void uSqrt(float[] x, int xo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = UnaryKernelOp.SQRT.apply(x[xo + i]);
    }

    private static void uRsqrt(float[] x, int xo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            VecMath.rsqrt(FloatVector.fromArray(S, x, xo + i)).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = UnaryKernelOp.RSQRT.apply(x[xo + i]);
    }

    private static void uAbs(float[] x, int xo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector.fromArray(S, x, xo + i).abs().intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = UnaryKernelOp.ABS.apply(x[xo + i]);
    }

    private static void uSign(float[] x, int xo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            VecMath.sign(FloatVector.fromArray(S, x, xo + i)).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = UnaryKernelOp.SIGN.apply(x[xo + i]);
    }

    static void binaryVV(BinaryKernelOp op, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        switch (op) {
            case ADD -> bAddVV(a, ao, b, bo, d, dO, n);
            case SUB -> bSubVV(a, ao, b, bo, d, dO, n);
            case MUL -> bMulVV(a, ao, b, bo, d, dO, n);
            case DIV -> bDivVV(a, ao, b, bo, d, dO, n);
            case MAX -> bMaxVV(a, ao, b, bo, d, dO, n);
            case MIN -> bMinVV(a, ao, b, bo, d, dO, n);
            case POW, REM -> { // Math.pow is the same in every JIT tier; a vector pow is not. rem is rare.
                for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], b[bo + i]);
            }
        }
    }

    private static void bAddVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.ADD.apply(a[ao + i], b[bo + i]);
    }

    private static void bSubVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.SUB.apply(a[ao + i], b[bo + i]);
    }

    private static void bMulVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.MUL.apply(a[ao + i], b[bo + i]);
    }

    private static void bDivVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.DIV.apply(a[ao + i], b[bo + i]);
    }

    private static void bMaxVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).max(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.MAX.apply(a[ao + i], b[bo + i]);
    }

    private static void bMinVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).min(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.MIN.apply(a[ao + i], b[bo + i]);
    }

    static void compareVV(CompareKernelOp op, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        switch (op) {
            case LT -> cLtVV(a, ao, b, bo, d, dO, n);
            case LE -> cLeVV(a, ao, b, bo, d, dO, n);
            case GT -> cGtVV(a, ao, b, bo, d, dO, n);
            case GE -> cGeVV(a, ao, b, bo, d, dO, n);
            case EQ -> cEqVV(a, ao, b, bo, d, dO, n);
            case NE -> { for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], b[bo + i]); }
        }
    }

    private static void cLtVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LT, FloatVector.fromArray(S, b, bo + i))).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.LT.apply(a[ao + i], b[bo + i]);
    }

    private static void cLeVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LE, FloatVector.fromArray(S, b, bo + i))).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.LE.apply(a[ao + i], b[bo + i]);
    }

    private static void cGtVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GT, FloatVector.fromArray(S, b, bo + i))).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.GT.apply(a[ao + i], b[bo + i]);
    }

    private static void cGeVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GE, FloatVector.fromArray(S, b, bo + i))).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.GE.apply(a[ao + i], b[bo + i]);
    }

    private static void cEqVV(float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.EQ, FloatVector.fromArray(S, b, bo + i))).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.EQ.apply(a[ao + i], b[bo + i]);
    }

    static void binaryVS(BinaryKernelOp op, float[] a, int ao, float s, float[] d, int dO, int n) {
        switch (op) {
            case ADD -> bAddVS(a, ao, s, d, dO, n);
            case SUB -> bSubVS(a, ao, s, d, dO, n);
            case MUL -> bMulVS(a, ao, s, d, dO, n);
            case DIV -> bDivVS(a, ao, s, d, dO, n);
            case MAX -> bMaxVS(a, ao, s, d, dO, n);
            case MIN -> bMinVS(a, ao, s, d, dO, n);
            case POW, REM -> { // Math.pow is the same in every JIT tier; a vector pow is not. rem is rare.
                for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], s);
            }
        }
    }

    private static void bAddVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).add(vs).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.ADD.apply(a[ao + i], s);
    }

    private static void bSubVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).sub(vs).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.SUB.apply(a[ao + i], s);
    }

    private static void bMulVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).mul(vs).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.MUL.apply(a[ao + i], s);
    }

    private static void bDivVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).div(vs).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.DIV.apply(a[ao + i], s);
    }

    private static void bMaxVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).max(vs).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.MAX.apply(a[ao + i], s);
    }

    private static void bMinVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) FloatVector.fromArray(S, a, ao + i).min(vs).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.MIN.apply(a[ao + i], s);
    }

    static void compareVS(CompareKernelOp op, float[] a, int ao, float s, float[] d, int dO, int n) {
        switch (op) {
            case LT -> cLtVS(a, ao, s, d, dO, n);
            case LE -> cLeVS(a, ao, s, d, dO, n);
            case GT -> cGtVS(a, ao, s, d, dO, n);
            case GE -> cGeVS(a, ao, s, d, dO, n);
            case EQ -> cEqVS(a, ao, s, d, dO, n);
            case NE -> { for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], s); }
        }
    }

    private static void cLtVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LT, vs)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.LT.apply(a[ao + i], s);
    }

    private static void cLeVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.LE, vs)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.LE.apply(a[ao + i], s);
    }

    private static void cGtVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GT, vs)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.GT.apply(a[ao + i], s);
    }

    private static void cGeVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.GE, vs)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.GE.apply(a[ao + i], s);
    }

    private static void cEqVS(float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) zero.blend(1f, FloatVector.fromArray(S, a, ao + i).compare(VectorOperators.EQ, vs)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = CompareKernelOp.EQ.apply(a[ao + i], s);
    }

    /**
     * Scalar-vector forms exist only for the ops that are not commutative ({@link BlockOps}
     * turns {@code s op b} into {@code b op s} for the others, and a scalar-vector compare into
     * the vector-scalar one with the comparison mirrored).
     */
    static void binarySV(BinaryKernelOp op, float s, float[] b, int bo, float[] d, int dO, int n) {
        switch (op) {
            case SUB -> bSubSV(s, b, bo, d, dO, n);
            case DIV -> bDivSV(s, b, bo, d, dO, n);
            case ADD, MUL, MAX, MIN -> binaryVS(op, b, bo, s, d, dO, n); // commutative: BlockOps swaps these already
            case POW, REM -> { // Math.pow is the same in every JIT tier; a vector pow is not. rem is rare.
                for (int i = 0; i < n; i++) d[dO + i] = op.apply(s, b[bo + i]);
            }
        }
    }


    private static void bSubSV(float s, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) vs.sub(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.SUB.apply(s, b[bo + i]);
    }


    private static void bDivSV(float s, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) vs.div(FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = BinaryKernelOp.DIV.apply(s, b[bo + i]);
    }









    static void select(float[] m, int mo, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            VectorMask<Float> pick = FloatVector.fromArray(S, m, mo + i).compare(VectorOperators.NE, 0f);
            FloatVector.fromArray(S, b, bo + i).blend(FloatVector.fromArray(S, a, ao + i), pick).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = m[mo + i] != 0f ? a[ao + i] : b[bo + i];
    }

    // One vector moved per call: the vector never crosses a call, so if C2 declines to inline
    // these into a large caller they still compile on their own without boxing (a vector passed to
    // or returned from a non-inlined call is allocated: 384 B per run measured when copyRows held
    // the fromArray/intoArray pair itself).
    private static void copyVector(float[] x, int xo, float[] d, int dO) { FloatVector.fromArray(S, x, xo).intoArray(d, dO); }

    private static void fillVector(float[] d, int dO, float v) { FloatVector.broadcast(S, v).intoArray(d, dO); }

    /**
     * Copies a contiguous run {@code s[so..so+n)} to {@code d[dO..]}, whole vectors only: the last
     * vector may run past the run's end (up to {@code L - 1} floats of garbage after it, which the
     * caller's next run overwrites) as long as it stays below {@code dEnd} and inside {@code s};
     * otherwise the tail is copied element by element. A short run (a channel row of 6 or 16
     * floats) then costs one vector load and store instead of a scalar loop.
     */
    static void copyRun(float[] s, int so, float[] d, int dO, int n, int dEnd) {
        int i = 0;
        for (; i + L <= n; i += L) copyVector(s, so + i, d, dO + i);
        if (i == n) return;
        if (dO + i + L <= dEnd && so + i + L <= s.length) copyVector(s, so + i, d, dO + i);
        else for (; i < n; i++) d[dO + i] = s[so + i];
    }

    /**
     * Copies {@code rows} contiguous runs of {@code n} floats, {@code xs} apart from {@code x[xo]},
     * to consecutive runs of {@code d[dO..]} (garbage allowed below {@code dEnd}, see
     * {@link #copyRun}). A run of at most one vector is one load and one store: a stride-2 view of
     * NHWC rows with 6 channels moves at a few cycles per row.
     */
    static void copyRows(float[] x, int xo, int xs, int n, int rows, float[] d, int dO, int dEnd) {
        if (n > L) {
            for (int i = 0; i < rows; i++, xo += xs, dO += n) copyRun(x, xo, d, dO, n, dEnd);
            return;
        }
        int xl = x.length;
        for (int i = 0; i < rows; i++, xo += xs, dO += n) {
            if (dO + L <= dEnd && xo + L <= xl) copyVector(x, xo, d, dO);
            else for (int c = 0; c < n; c++) d[dO + c] = x[xo + c];
        }
    }

    /** Writes {@code v} to {@code d[dO..dO+n)}, whole vectors while they stay below {@code dEnd} (see {@link #copyRun}). */
    static void fillRun(float[] d, int dO, int n, float v, int dEnd) {
        int i = 0;
        for (; i + L <= n; i += L) fillVector(d, dO + i, v);
        if (i == n) return;
        if (dO + i + L <= dEnd) fillVector(d, dO + i, v);
        else for (; i < n; i++) d[dO + i] = v;
    }

    static void fill(float[] d, int dO, int n, float v) {
        FloatVector vv = FloatVector.broadcast(S, v);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) vv.intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = v;
    }

    /**
     * Sums with four accumulators (to hide add latency) and folds the lanes through {@code lanes}
     * (at least one vector long) in a fixed pairwise order, rather than with
     * {@code reduceLanes(ADD)}, whose order is unspecified and may differ between interpreted and
     * compiled code, or with shuffles, which C2 does not intrinsify on every machine (the
     * fallback allocated about 9 KB per call on AVX2). Sums stay bit-reproducible and allocation-free.
     */
    static float sum(float[] x, int xo, int n, float[] lanes) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int ub = n - 4 * L; i <= ub; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, xo + i));
            a1 = a1.add(FloatVector.fromArray(S, x, xo + i + L));
            a2 = a2.add(FloatVector.fromArray(S, x, xo + i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(S, x, xo + i + 3 * L));
        }
        for (int ub = S.loopBound(n); i < ub; i += L) a0 = a0.add(FloatVector.fromArray(S, x, xo + i));
        a0.add(a1).add(a2.add(a3)).intoArray(lanes, 0);
        for (int width = L / 2; width >= 1; width /= 2) {
            for (int j = 0; j < width; j++) lanes[j] += lanes[j + width];
        }
        float s = lanes[0];
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    /** Four accumulators: a Java-semantics vector max is a dependent chain of several instructions. */
    static float max(float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int ub = n - 4 * L; i <= ub; i += 4 * L) {
            a0 = a0.max(FloatVector.fromArray(S, x, xo + i));
            a1 = a1.max(FloatVector.fromArray(S, x, xo + i + L));
            a2 = a2.max(FloatVector.fromArray(S, x, xo + i + 2 * L));
            a3 = a3.max(FloatVector.fromArray(S, x, xo + i + 3 * L));
        }
        for (int ub = S.loopBound(n); i < ub; i += L) a0 = a0.max(FloatVector.fromArray(S, x, xo + i));
        float m = a0.max(a1).max(a2.max(a3)).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    static void accumulate(ReduceKernelOp op, float[] acc, int ao, float[] x, int xo, int n) {
        int i = 0;
        if (op == ReduceKernelOp.SUM) {
            for (int ub = S.loopBound(n); i < ub; i += L) {
                FloatVector.fromArray(S, acc, ao + i).add(FloatVector.fromArray(S, x, xo + i)).intoArray(acc, ao + i);
            }
            for (; i < n; i++) acc[ao + i] += x[xo + i];
        } else {
            for (int ub = S.loopBound(n); i < ub; i += L) {
                FloatVector.fromArray(S, acc, ao + i).max(FloatVector.fromArray(S, x, xo + i)).intoArray(acc, ao + i);
            }
            for (; i < n; i++) acc[ao + i] = Math.max(acc[ao + i], x[xo + i]);
        }
    }

    static void reverse(float[] s, int sLast, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector.fromArray(S, s, sLast - i - L + 1).rearrange(REVERSE).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = s[sLast - i];
    }

    /**
     * Transposes one L x L tile: {@code d[dO + c*ds + r] = x[xo + r*xs + c]}. Each source row
     * and each destination row is one full vector, read once and written once, so the tile
     * moves whole cache lines whatever the strides (a scalar tile loop with power-of-two row
     * strides maps every row to one L1 set and thrashes). The transpose itself is log2(L)
     * stages of swapping the off-diagonal h x h blocks of row pairs (i, i+h), a rearrange and
     * a blend per row, all in registers (16 + 16 of the 32 on AVX-512; 8 + 8 of 16 on AVX2).
     * Other widths (none on x86) take the scalar loop.
     */
    static void transposeTile(float[] x, int xo, int xs, float[] d, int dO, int ds) {
        if (L == 16) transpose16(x, xo, xs, d, dO, ds);
        else if (L == 8) transpose8(x, xo, xs, d, dO, ds);
        else for (int r = 0; r < L; r++) for (int c = 0; c < L; c++) d[dO + c * ds + r] = x[xo + r * xs + c];
    }

    private static void transpose16(float[] x, int xo, int xs, float[] d, int dO, int ds) {
        FloatVector r0 = FloatVector.fromArray(S, x, xo + 0 * xs);
        FloatVector r1 = FloatVector.fromArray(S, x, xo + 1 * xs);
        FloatVector r2 = FloatVector.fromArray(S, x, xo + 2 * xs);
        FloatVector r3 = FloatVector.fromArray(S, x, xo + 3 * xs);
        FloatVector r4 = FloatVector.fromArray(S, x, xo + 4 * xs);
        FloatVector r5 = FloatVector.fromArray(S, x, xo + 5 * xs);
        FloatVector r6 = FloatVector.fromArray(S, x, xo + 6 * xs);
        FloatVector r7 = FloatVector.fromArray(S, x, xo + 7 * xs);
        FloatVector r8 = FloatVector.fromArray(S, x, xo + 8 * xs);
        FloatVector r9 = FloatVector.fromArray(S, x, xo + 9 * xs);
        FloatVector r10 = FloatVector.fromArray(S, x, xo + 10 * xs);
        FloatVector r11 = FloatVector.fromArray(S, x, xo + 11 * xs);
        FloatVector r12 = FloatVector.fromArray(S, x, xo + 12 * xs);
        FloatVector r13 = FloatVector.fromArray(S, x, xo + 13 * xs);
        FloatVector r14 = FloatVector.fromArray(S, x, xo + 14 * xs);
        FloatVector r15 = FloatVector.fromArray(S, x, xo + 15 * xs);
        FloatVector s3_0 = r0.blend(r8.rearrange(UP3), HIGH3), s3_8 = r0.rearrange(DOWN3).blend(r8, HIGH3);
        FloatVector s3_1 = r1.blend(r9.rearrange(UP3), HIGH3), s3_9 = r1.rearrange(DOWN3).blend(r9, HIGH3);
        FloatVector s3_2 = r2.blend(r10.rearrange(UP3), HIGH3), s3_10 = r2.rearrange(DOWN3).blend(r10, HIGH3);
        FloatVector s3_3 = r3.blend(r11.rearrange(UP3), HIGH3), s3_11 = r3.rearrange(DOWN3).blend(r11, HIGH3);
        FloatVector s3_4 = r4.blend(r12.rearrange(UP3), HIGH3), s3_12 = r4.rearrange(DOWN3).blend(r12, HIGH3);
        FloatVector s3_5 = r5.blend(r13.rearrange(UP3), HIGH3), s3_13 = r5.rearrange(DOWN3).blend(r13, HIGH3);
        FloatVector s3_6 = r6.blend(r14.rearrange(UP3), HIGH3), s3_14 = r6.rearrange(DOWN3).blend(r14, HIGH3);
        FloatVector s3_7 = r7.blend(r15.rearrange(UP3), HIGH3), s3_15 = r7.rearrange(DOWN3).blend(r15, HIGH3);
        FloatVector s2_0 = s3_0.blend(s3_4.rearrange(UP2), HIGH2), s2_4 = s3_0.rearrange(DOWN2).blend(s3_4, HIGH2);
        FloatVector s2_1 = s3_1.blend(s3_5.rearrange(UP2), HIGH2), s2_5 = s3_1.rearrange(DOWN2).blend(s3_5, HIGH2);
        FloatVector s2_2 = s3_2.blend(s3_6.rearrange(UP2), HIGH2), s2_6 = s3_2.rearrange(DOWN2).blend(s3_6, HIGH2);
        FloatVector s2_3 = s3_3.blend(s3_7.rearrange(UP2), HIGH2), s2_7 = s3_3.rearrange(DOWN2).blend(s3_7, HIGH2);
        FloatVector s2_8 = s3_8.blend(s3_12.rearrange(UP2), HIGH2), s2_12 = s3_8.rearrange(DOWN2).blend(s3_12, HIGH2);
        FloatVector s2_9 = s3_9.blend(s3_13.rearrange(UP2), HIGH2), s2_13 = s3_9.rearrange(DOWN2).blend(s3_13, HIGH2);
        FloatVector s2_10 = s3_10.blend(s3_14.rearrange(UP2), HIGH2), s2_14 = s3_10.rearrange(DOWN2).blend(s3_14, HIGH2);
        FloatVector s2_11 = s3_11.blend(s3_15.rearrange(UP2), HIGH2), s2_15 = s3_11.rearrange(DOWN2).blend(s3_15, HIGH2);
        FloatVector s1_0 = s2_0.blend(s2_2.rearrange(UP1), HIGH1), s1_2 = s2_0.rearrange(DOWN1).blend(s2_2, HIGH1);
        FloatVector s1_1 = s2_1.blend(s2_3.rearrange(UP1), HIGH1), s1_3 = s2_1.rearrange(DOWN1).blend(s2_3, HIGH1);
        FloatVector s1_4 = s2_4.blend(s2_6.rearrange(UP1), HIGH1), s1_6 = s2_4.rearrange(DOWN1).blend(s2_6, HIGH1);
        FloatVector s1_5 = s2_5.blend(s2_7.rearrange(UP1), HIGH1), s1_7 = s2_5.rearrange(DOWN1).blend(s2_7, HIGH1);
        FloatVector s1_8 = s2_8.blend(s2_10.rearrange(UP1), HIGH1), s1_10 = s2_8.rearrange(DOWN1).blend(s2_10, HIGH1);
        FloatVector s1_9 = s2_9.blend(s2_11.rearrange(UP1), HIGH1), s1_11 = s2_9.rearrange(DOWN1).blend(s2_11, HIGH1);
        FloatVector s1_12 = s2_12.blend(s2_14.rearrange(UP1), HIGH1), s1_14 = s2_12.rearrange(DOWN1).blend(s2_14, HIGH1);
        FloatVector s1_13 = s2_13.blend(s2_15.rearrange(UP1), HIGH1), s1_15 = s2_13.rearrange(DOWN1).blend(s2_15, HIGH1);
        FloatVector s0_0 = s1_0.blend(s1_1.rearrange(UP0), HIGH0), s0_1 = s1_0.rearrange(DOWN0).blend(s1_1, HIGH0);
        FloatVector s0_2 = s1_2.blend(s1_3.rearrange(UP0), HIGH0), s0_3 = s1_2.rearrange(DOWN0).blend(s1_3, HIGH0);
        FloatVector s0_4 = s1_4.blend(s1_5.rearrange(UP0), HIGH0), s0_5 = s1_4.rearrange(DOWN0).blend(s1_5, HIGH0);
        FloatVector s0_6 = s1_6.blend(s1_7.rearrange(UP0), HIGH0), s0_7 = s1_6.rearrange(DOWN0).blend(s1_7, HIGH0);
        FloatVector s0_8 = s1_8.blend(s1_9.rearrange(UP0), HIGH0), s0_9 = s1_8.rearrange(DOWN0).blend(s1_9, HIGH0);
        FloatVector s0_10 = s1_10.blend(s1_11.rearrange(UP0), HIGH0), s0_11 = s1_10.rearrange(DOWN0).blend(s1_11, HIGH0);
        FloatVector s0_12 = s1_12.blend(s1_13.rearrange(UP0), HIGH0), s0_13 = s1_12.rearrange(DOWN0).blend(s1_13, HIGH0);
        FloatVector s0_14 = s1_14.blend(s1_15.rearrange(UP0), HIGH0), s0_15 = s1_14.rearrange(DOWN0).blend(s1_15, HIGH0);
        s0_0.intoArray(d, dO + 0 * ds);
        s0_1.intoArray(d, dO + 1 * ds);
        s0_2.intoArray(d, dO + 2 * ds);
        s0_3.intoArray(d, dO + 3 * ds);
        s0_4.intoArray(d, dO + 4 * ds);
        s0_5.intoArray(d, dO + 5 * ds);
        s0_6.intoArray(d, dO + 6 * ds);
        s0_7.intoArray(d, dO + 7 * ds);
        s0_8.intoArray(d, dO + 8 * ds);
        s0_9.intoArray(d, dO + 9 * ds);
        s0_10.intoArray(d, dO + 10 * ds);
        s0_11.intoArray(d, dO + 11 * ds);
        s0_12.intoArray(d, dO + 12 * ds);
        s0_13.intoArray(d, dO + 13 * ds);
        s0_14.intoArray(d, dO + 14 * ds);
        s0_15.intoArray(d, dO + 15 * ds);
    }

    private static void transpose8(float[] x, int xo, int xs, float[] d, int dO, int ds) {
        FloatVector r0 = FloatVector.fromArray(S, x, xo + 0 * xs);
        FloatVector r1 = FloatVector.fromArray(S, x, xo + 1 * xs);
        FloatVector r2 = FloatVector.fromArray(S, x, xo + 2 * xs);
        FloatVector r3 = FloatVector.fromArray(S, x, xo + 3 * xs);
        FloatVector r4 = FloatVector.fromArray(S, x, xo + 4 * xs);
        FloatVector r5 = FloatVector.fromArray(S, x, xo + 5 * xs);
        FloatVector r6 = FloatVector.fromArray(S, x, xo + 6 * xs);
        FloatVector r7 = FloatVector.fromArray(S, x, xo + 7 * xs);
        FloatVector s2_0 = r0.blend(r4.rearrange(UP2), HIGH2), s2_4 = r0.rearrange(DOWN2).blend(r4, HIGH2);
        FloatVector s2_1 = r1.blend(r5.rearrange(UP2), HIGH2), s2_5 = r1.rearrange(DOWN2).blend(r5, HIGH2);
        FloatVector s2_2 = r2.blend(r6.rearrange(UP2), HIGH2), s2_6 = r2.rearrange(DOWN2).blend(r6, HIGH2);
        FloatVector s2_3 = r3.blend(r7.rearrange(UP2), HIGH2), s2_7 = r3.rearrange(DOWN2).blend(r7, HIGH2);
        FloatVector s1_0 = s2_0.blend(s2_2.rearrange(UP1), HIGH1), s1_2 = s2_0.rearrange(DOWN1).blend(s2_2, HIGH1);
        FloatVector s1_1 = s2_1.blend(s2_3.rearrange(UP1), HIGH1), s1_3 = s2_1.rearrange(DOWN1).blend(s2_3, HIGH1);
        FloatVector s1_4 = s2_4.blend(s2_6.rearrange(UP1), HIGH1), s1_6 = s2_4.rearrange(DOWN1).blend(s2_6, HIGH1);
        FloatVector s1_5 = s2_5.blend(s2_7.rearrange(UP1), HIGH1), s1_7 = s2_5.rearrange(DOWN1).blend(s2_7, HIGH1);
        FloatVector s0_0 = s1_0.blend(s1_1.rearrange(UP0), HIGH0), s0_1 = s1_0.rearrange(DOWN0).blend(s1_1, HIGH0);
        FloatVector s0_2 = s1_2.blend(s1_3.rearrange(UP0), HIGH0), s0_3 = s1_2.rearrange(DOWN0).blend(s1_3, HIGH0);
        FloatVector s0_4 = s1_4.blend(s1_5.rearrange(UP0), HIGH0), s0_5 = s1_4.rearrange(DOWN0).blend(s1_5, HIGH0);
        FloatVector s0_6 = s1_6.blend(s1_7.rearrange(UP0), HIGH0), s0_7 = s1_6.rearrange(DOWN0).blend(s1_7, HIGH0);
        s0_0.intoArray(d, dO + 0 * ds);
        s0_1.intoArray(d, dO + 1 * ds);
        s0_2.intoArray(d, dO + 2 * ds);
        s0_3.intoArray(d, dO + 3 * ds);
        s0_4.intoArray(d, dO + 4 * ds);
        s0_5.intoArray(d, dO + 5 * ds);
        s0_6.intoArray(d, dO + 6 * ds);
        s0_7.intoArray(d, dO + 7 * ds);
    }
}
