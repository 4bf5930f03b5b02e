package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log and tanh on float vectors from adds, multiplies and bit operations only
 * (Cephes-style range reduction and minimax polynomials, about 1-2 ulp).
 *
 * <p>Why not {@code lanewise(EXP)}: its result depends on how the code runs. C2 calls a
 * vendor math library, while interpreted or C1 code falls back to {@link Math#exp} per lane,
 * and the two differ in the last bit, so a kernel's output would depend on JIT timing and on
 * which chunk a thread reached first. IEEE adds and multiplies are exact in every tier, so
 * these are bit-reproducible, and they are as fast as the library on AVX2.
 */
final class VecMath {
    private VecMath() {}

    private static final VectorSpecies<Float> S = VecBlockOps.S;

    /** e^x; overflows to +inf above ~88.72, underflows through subnormals to 0, NaN stays NaN. */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(-104f).min(88.72284f);
        // n = round(x / ln 2) by the 1.5 * 2^23 trick (exact for |n| < 2^22)
        FloatVector n = c.mul(1.44269504088896341f).add(12582912f).sub(12582912f);
        FloatVector r = c.sub(n.mul(0.693359375f)).sub(n.mul(-2.12194440e-4f));
        FloatVector z = r.mul(r);
        FloatVector y = r.mul(1.9875691500E-4f).add(1.3981999507E-3f)
                .mul(r).add(8.3334519073E-3f)
                .mul(r).add(4.1665795894E-2f)
                .mul(r).add(1.6666665459E-1f)
                .mul(r).add(5.0000001201E-1f)
                .mul(z).add(r).add(1f);
        // 2^n as two factors so that n in [-150, 128] never leaves the normal exponent range
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = y.mul(s1).mul(s2);
        e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72284f));
        e = e.blend(0f, x.compare(VectorOperators.LT, -104f));
        return e.blend(x, x.test(VectorOperators.IS_NAN));
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
        return m.mul(7.0376836292E-2f).add(-1.1514610310E-1f)
                .mul(m).add(1.1676998740E-1f)
                .mul(m).add(-1.2420140846E-1f)
                .mul(m).add(1.4249322787E-1f)
                .mul(m).add(-1.6668057665E-1f)
                .mul(m).add(2.0000714765E-1f)
                .mul(m).add(-2.4999993993E-1f)
                .mul(m).add(3.3333331174E-1f)
                .mul(m).mul(z);
    }

    /** tanh: an odd polynomial near 0 (no cancellation), {@code 1 - 2/(e^{2|x|}+1)} elsewhere. */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector big = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(exp(a.add(a)).add(1f)));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        FloatVector s = x.mul(x);
        FloatVector small = s.mul(-5.70498872745E-3f).add(2.06390887954E-2f)
                .mul(s).add(-5.37397155531E-2f)
                .mul(s).add(1.33314422036E-1f)
                .mul(s).add(-3.33332819422E-1f)
                .mul(s).mul(x).add(x);
        return small.blend(big, a.compare(VectorOperators.GT, 0.625f));
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
