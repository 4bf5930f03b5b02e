package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log and tanh on float vectors from adds, multiplies, fused multiply-adds, one
 * divide and bit operations only: Cephes-style range reduction and minimax polynomials for
 * exp and log, a rational function for tanh (a few ulp; the tests hold them to 4e-6).
 *
 * <p>Why not {@code lanewise(EXP)}: its result depends on how the code runs. C2 calls a
 * vendor math library, while interpreted or C1 code falls back to {@link Math#exp} per lane,
 * and the two differ in the last bit, so a kernel's output would depend on JIT timing and on
 * which chunk a thread reached first. IEEE add, multiply, fma and divide round the same in
 * every tier ({@link Math#fma} when interpreted), so these are bit-reproducible.
 *
 * <p>{@link ScalarMath} is the same definitions on one float, operation for operation, so a
 * value computed lane-wise here and one computed alone (a one-element tensor, a row-constant
 * operand, the scalar fallback) are the same bits (issue 11).
 *
 * <p>Each method must stay small: C2 inlines only up to a size and node budget, and a vector
 * method that is not inlined receives and returns boxed vectors, allocating per call.
 */
final class VecMath {
    private VecMath() {}

    private static final VectorSpecies<Float> S = VecBlockOps.S;
    // Polynomial and reduction constants as vector constants: C2 folds them, where a
    // broadcast per use adds IR nodes that count against the inlining budget.
    private static final FloatVector K0 = FloatVector.broadcast(S, -0.693359375f);
    private static final FloatVector K1 = FloatVector.broadcast(S, 2.12194440e-4f);
    private static final FloatVector K2 = FloatVector.broadcast(S, 8.3334519073E-3f);
    private static final FloatVector K3 = FloatVector.broadcast(S, 4.1665795894E-2f);
    private static final FloatVector K4 = FloatVector.broadcast(S, 1.6666665459E-1f);
    private static final FloatVector K5 = FloatVector.broadcast(S, 5.0000001201E-1f);
    private static final FloatVector K6 = FloatVector.broadcast(S, 7.0376836292E-2f);
    private static final FloatVector K7 = FloatVector.broadcast(S, -1.1514610310E-1f);
    private static final FloatVector K8 = FloatVector.broadcast(S, 1.1676998740E-1f);
    private static final FloatVector K9 = FloatVector.broadcast(S, -1.2420140846E-1f);
    private static final FloatVector K10 = FloatVector.broadcast(S, 1.4249322787E-1f);
    private static final FloatVector K11 = FloatVector.broadcast(S, -1.6668057665E-1f);
    private static final FloatVector K12 = FloatVector.broadcast(S, 2.0000714765E-1f);
    private static final FloatVector K13 = FloatVector.broadcast(S, -2.4999993993E-1f);
    private static final FloatVector K14 = FloatVector.broadcast(S, 3.3333331174E-1f);

    /** e^x; overflows to +inf above ~88.72, underflows through subnormals to 0, NaN stays NaN. */
    static FloatVector exp(FloatVector x) {
        // No clamp up front (Java-semantics min/max cost several instructions each): lanes
        // out of range compute garbage that the blends at the end replace.
        // n = round(x / ln 2) by the 1.5 * 2^23 trick (exact for |n| < 2^22)
        FloatVector t = x.mul(1.44269504088896341f).add(12582912f);
        FloatVector n = t.sub(12582912f);
        // fma rounds once in every JIT tier (Math.fma when interpreted), so it stays reproducible
        FloatVector r = n.fma(K0, x);
        r = n.fma(K1, r);
        FloatVector z = r.mul(r);
        FloatVector y = r.fma(1.9875691500E-4f, 1.3981999507E-3f)
                .fma(r, K2)
                .fma(r, K3)
                .fma(r, K4)
                .fma(r, K5)
                .fma(z, r).add(1f);
        // 2^n as two factors so that n in [-150, 128] never leaves the normal exponent range
        // n as an int from t's bits (n + 1.5 * 2^23 holds n in its low mantissa bits): the same
        // value as converting n wherever the result is not blended away below, without the
        // conversion (Java's float-to-int saturates and maps NaN to 0: several instructions).
        // Measured (docs/perf/elementwise.md, wave 5): 0.31-0.33 -> 0.25-0.26 ns/element in L1,
        // the bits unchanged. ScalarMath keeps its (int) cast: same results.
        IntVector ni = t.reinterpretAsInts().sub(0x4B400000);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = y.mul(s1).mul(s2);
        e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72284f));
        e = e.blend(0f, x.compare(VectorOperators.LT, -104f));
        return e.blend(x, x.compare(VectorOperators.NE, x));
    }

    /** Natural log; log(0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, subnormals handled. */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> sub = x.compare(VectorOperators.LT, 1.17549435e-38f);
        FloatVector xs = x.blend(x.mul(8388608f), sub);
        IntVector bits = xs.reinterpretAsInts();
        IntVector ei = bits.lanewise(VectorOperators.LSHR, 23).sub(126);
        FloatVector m = bits.and(0x007fffff).or(0x3f000000).reinterpretAsFloats(); // [0.5, 1)
        FloatVector e = (FloatVector) ei.convert(VectorOperators.I2F, 0);
        VectorMask<Float> lowM = m.compare(VectorOperators.LT, 0.707106781186547524f);
        e = e.sub(FloatVector.zero(S).blend(1f, lowM).add(FloatVector.zero(S).blend(23f, sub)));
        m = m.add(FloatVector.zero(S).blend(m, lowM)).sub(1f);
        FloatVector z = m.mul(m);
        FloatVector y = logPoly(m, z);
        y = y.add(e.mul(-2.12194440e-4f)).sub(z.mul(0.5f));
        FloatVector res = m.add(y).add(e.mul(0.693359375f));
        res = res.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        res = res.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return res.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
    }

    /** Kept out of {@link #log} so both stay under C2's inlining size (325 bytecodes); a vector
     *  method that is not inlined passes its vectors boxed, allocating per call. */
    private static FloatVector logPoly(FloatVector m, FloatVector z) {
        return m.fma(K6, K7)
                .fma(m, K8)
                .fma(m, K9)
                .fma(m, K10)
                .fma(m, K11)
                .fma(m, K12)
                .fma(m, K13)
                .fma(m, K14)
                .mul(m).mul(z);
    }

    private static final FloatVector A1 = FloatVector.broadcast(S, 4.89352455891786e-03f),
            A3 = FloatVector.broadcast(S, 6.37261928875436e-04f), A5 = FloatVector.broadcast(S, 1.48572235717979e-05f),
            A7 = FloatVector.broadcast(S, 5.12229709037114e-08f), A9 = FloatVector.broadcast(S, -8.60467152213735e-11f),
            A11 = FloatVector.broadcast(S, 2.00018790482477e-13f), A13 = FloatVector.broadcast(S, -2.76076847742355e-16f),
            B0 = FloatVector.broadcast(S, 4.89352518554385e-03f), B2 = FloatVector.broadcast(S, 2.26843463243900e-03f),
            B4 = FloatVector.broadcast(S, 1.18534705686654e-04f), B6 = FloatVector.broadcast(S, 1.19825839466702e-06f);

    /**
     * tanh as an odd rational function (13/6, Eigen's coefficients) on the clamped argument:
     * one divide and no exp, so it stays small enough for C2 to inline into every loop
     * (an exp-based tanh did not, and boxed). Below |x| = 4e-4, tanh(x) = x to float precision.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector c = x.max(-7.90531110763549805f).min(7.90531110763549805f);
        FloatVector x2 = c.mul(c);
        FloatVector p = x2.fma(A13, A11).fma(x2, A9).fma(x2, A7).fma(x2, A5).fma(x2, A3).fma(x2, A1).mul(c);
        FloatVector q = x2.fma(B6, B4).fma(x2, B2).fma(x2, B0);
        FloatVector t = p.div(q).blend(x, x.abs().compare(VectorOperators.LT, 0.0004f));
        // Beyond SATURATE tanh rounds to +-1 in float; the clamped rational stops at 1 - 2^-22.
        return t.blend(1f, x.compare(VectorOperators.GE, ScalarMath.TANH_SATURATE))
                .blend(-1f, x.compare(VectorOperators.LE, -ScalarMath.TANH_SATURATE));
    }

    /** Exact {@code 1 / sqrt(x)}; the hardware estimate is only 12 bits. */
    static FloatVector rsqrt(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(x.sqrt());
    }

    /** -1, 0 or 1 by sign; zeros (either sign) and NaN pass through. */
    static FloatVector sign(FloatVector x) {
        return x.blend(1f, x.compare(VectorOperators.GT, 0f)).blend(-1f, x.compare(VectorOperators.LT, 0f));
    }

    /** 1 / (1 + e^-x). */
    static FloatVector logistic(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(exp(x.neg()).add(1f));
    }
}
