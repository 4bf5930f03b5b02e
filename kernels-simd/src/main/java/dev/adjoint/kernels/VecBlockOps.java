package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loops behind {@link BlockOps}: contiguous runs of floats. Elementwise
 * tails use masked vector ops rather than scalar code so that every element goes through
 * the same arithmetic (vector EXP and {@link Math#exp} may differ in the last bit): where a
 * chunk or block boundary falls must not change a result. Only {@link BlockOps} refers to this class, and only when {@link Simd#ENABLED}, so
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

    private static FloatVector un(UnaryKernelOp op, FloatVector v) {
        return switch (op) {
            case NEG -> v.neg();
            case EXP -> VecMath.exp(v);
            case LOG -> VecMath.log(v);
            case TANH -> VecMath.tanh(v);
            case LOGISTIC -> VecMath.logistic(v);
            case SQRT -> v.sqrt();
            case RSQRT -> FloatVector.broadcast(S, 1f).div(v.sqrt());
            case ABS -> v.abs();
            case SIGN -> v.blend(1f, v.compare(VectorOperators.GT, 0f)).blend(-1f, v.compare(VectorOperators.LT, 0f));
            case RELU -> v.max(0f);
        };
    }

    private static FloatVector bin(BinaryKernelOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case MAX -> a.max(b);
            case MIN -> a.min(b);
            case POW -> throw new AssertionError("pow is handled per lane");
        };
    }

    private static VectorMask<Float> cmp(CompareKernelOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case LT -> a.compare(VectorOperators.LT, b);
            case LE -> a.compare(VectorOperators.LE, b);
            case GT -> a.compare(VectorOperators.GT, b);
            case GE -> a.compare(VectorOperators.GE, b);
            case EQ -> a.compare(VectorOperators.EQ, b);
        };
    }

    static void unary(UnaryKernelOp op, float[] x, int xo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            un(op, FloatVector.fromArray(S, x, xo + i)).intoArray(d, dO + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            un(op, FloatVector.fromArray(S, x, xo + i, m)).intoArray(d, dO + i, m);
        }
    }

    static void binaryVV(BinaryKernelOp op, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        if (op == BinaryKernelOp.POW) { // Math.pow is the same in every JIT tier; a vector pow is not
            for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], b[bo + i]);
            return;
        }
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            bin(op, FloatVector.fromArray(S, a, ao + i), FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            bin(op, FloatVector.fromArray(S, a, ao + i, m), FloatVector.fromArray(S, b, bo + i, m)).intoArray(d, dO + i, m);
        }
    }

    static void binaryVS(BinaryKernelOp op, float[] a, int ao, float s, float[] d, int dO, int n) {
        if (op == BinaryKernelOp.POW) { // Math.pow is the same in every JIT tier; a vector pow is not
            for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], s);
            return;
        }
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            bin(op, FloatVector.fromArray(S, a, ao + i), vs).intoArray(d, dO + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            bin(op, FloatVector.fromArray(S, a, ao + i, m), vs).intoArray(d, dO + i, m);
        }
    }

    static void binarySV(BinaryKernelOp op, float s, float[] b, int bo, float[] d, int dO, int n) {
        if (op == BinaryKernelOp.POW) { // Math.pow is the same in every JIT tier; a vector pow is not
            for (int i = 0; i < n; i++) d[dO + i] = op.apply(s, b[bo + i]);
            return;
        }
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            bin(op, vs, FloatVector.fromArray(S, b, bo + i)).intoArray(d, dO + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            bin(op, vs, FloatVector.fromArray(S, b, bo + i, m)).intoArray(d, dO + i, m);
        }
    }

    static void compareVV(CompareKernelOp op, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            zero.blend(1f, cmp(op, FloatVector.fromArray(S, a, ao + i), FloatVector.fromArray(S, b, bo + i))).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = op.apply(a[ao + i], b[bo + i]);
    }

    static void compareVS(CompareKernelOp op, float[] a, int ao, float s, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S), vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            zero.blend(1f, cmp(op, FloatVector.fromArray(S, a, ao + i), vs)).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = op.apply(a[ao + i], s);
    }

    static void compareSV(CompareKernelOp op, float s, float[] b, int bo, float[] d, int dO, int n) {
        FloatVector zero = FloatVector.zero(S), vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            zero.blend(1f, cmp(op, vs, FloatVector.fromArray(S, b, bo + i))).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = op.apply(s, b[bo + i]);
    }

    static void select(float[] m, int mo, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            VectorMask<Float> pick = FloatVector.fromArray(S, m, mo + i).compare(VectorOperators.NE, 0f);
            FloatVector.fromArray(S, b, bo + i).blend(FloatVector.fromArray(S, a, ao + i), pick).intoArray(d, dO + i);
        }
        for (; i < n; i++) d[dO + i] = m[mo + i] != 0f ? a[ao + i] : b[bo + i];
    }

    static void fill(float[] d, int dO, int n, float v) {
        FloatVector vv = FloatVector.broadcast(S, v);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) vv.intoArray(d, dO + i);
        for (; i < n; i++) d[dO + i] = v;
    }

    /**
     * Sums with four accumulators (to hide add latency) and folds the lanes in index order
     * rather than with {@code reduceLanes}, whose order is unspecified and could differ
     * between interpreted and compiled code; that keeps sums bit-reproducible.
     */
    static float sum(float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int ub = n - 4 * L; i <= ub; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, xo + i));
            a1 = a1.add(FloatVector.fromArray(S, x, xo + i + L));
            a2 = a2.add(FloatVector.fromArray(S, x, xo + i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(S, x, xo + i + 3 * L));
        }
        for (int ub = S.loopBound(n); i < ub; i += L) a0 = a0.add(FloatVector.fromArray(S, x, xo + i));
        FloatVector t = a0.add(a1).add(a2.add(a3));
        float s = 0f;
        for (int k = 0; k < L; k++) s += t.lane(k);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    static float max(float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), a1 = a0;
        int i = 0;
        for (int ub = n - 2 * L; i <= ub; i += 2 * L) {
            a0 = a0.max(FloatVector.fromArray(S, x, xo + i));
            a1 = a1.max(FloatVector.fromArray(S, x, xo + i + L));
        }
        for (int ub = S.loopBound(n); i < ub; i += L) a0 = a0.max(FloatVector.fromArray(S, x, xo + i));
        float m = a0.max(a1).reduceLanes(VectorOperators.MAX);
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
}
