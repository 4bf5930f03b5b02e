package dev.adjoint.kernels;

/**
 * {@link VecMath}'s exp, log, tanh and logistic on one float: the same operations in the same
 * order ({@link Math#fma} for each fused multiply-add, which rounds once like the vector fma), so
 * the scalar and vector paths give the same bits for every input. Before, the scalar path used
 * {@link Math#tanh} and friends, so tanh(+inf) was 1.0 for a one-element tensor and 0.99999976
 * on the vector path (issue 11). Used by {@link UnaryKernelOp#apply}, hence by row-constant
 * operands, vector-loop tails and the scalar fallback.
 */
final class ScalarMath {
    private ScalarMath() {}

    /** Smallest float with {@code (float) tanh(x) == 1}: 13 ln 2 rounded up (1 - tanh(x) < 2^-25 beyond it). */
    static final float TANH_SATURATE = 9.010913f;

    static float exp(float x) {
        float n = x * 1.44269504088896341f + 12582912f - 12582912f;
        float r = Math.fma(n, -0.693359375f, x);
        r = Math.fma(n, 2.12194440e-4f, r);
        float z = r * r;
        float y = Math.fma(r, 1.9875691500E-4f, 1.3981999507E-3f);
        y = Math.fma(y, r, 8.3334519073E-3f);
        y = Math.fma(y, r, 4.1665795894E-2f);
        y = Math.fma(y, r, 1.6666665459E-1f);
        y = Math.fma(y, r, 5.0000001201E-1f);
        y = Math.fma(y, z, r) + 1f;
        int ni = (int) n;
        int n1 = ni >> 1, n2 = ni - n1;
        float s1 = Float.intBitsToFloat((n1 + 127) << 23), s2 = Float.intBitsToFloat((n2 + 127) << 23);
        float e = y * s1 * s2;
        if (x > 88.72284f) e = Float.POSITIVE_INFINITY;
        if (x < -104f) e = 0f;
        return x != x ? x : e;
    }

    static float log(float x) {
        boolean sub = x < 1.17549435e-38f;
        float xs = sub ? x * 8388608f : x;
        int bits = Float.floatToRawIntBits(xs);
        int ei = (bits >>> 23) - 126;
        float m = Float.intBitsToFloat((bits & 0x007fffff) | 0x3f000000);
        float e = (float) ei;
        boolean lowM = m < 0.707106781186547524f;
        e = e - ((lowM ? 1f : 0f) + (sub ? 23f : 0f));
        m = m + (lowM ? m : 0f) - 1f;
        float z = m * m;
        float y = Math.fma(m, 7.0376836292E-2f, -1.1514610310E-1f);
        y = Math.fma(y, m, 1.1676998740E-1f);
        y = Math.fma(y, m, -1.2420140846E-1f);
        y = Math.fma(y, m, 1.4249322787E-1f);
        y = Math.fma(y, m, -1.6668057665E-1f);
        y = Math.fma(y, m, 2.0000714765E-1f);
        y = Math.fma(y, m, -2.4999993993E-1f);
        y = Math.fma(y, m, 3.3333331174E-1f);
        y = y * m * z;
        y = y + e * -2.12194440e-4f - z * 0.5f;
        float res = m + y + e * 0.693359375f;
        if (x == 0f) res = Float.NEGATIVE_INFINITY;
        if (x == Float.POSITIVE_INFINITY) res = Float.POSITIVE_INFINITY;
        return x < 0f || x != x ? Float.NaN : res;
    }

    static float tanh(float x) {
        float c = Math.min(Math.max(x, -7.90531110763549805f), 7.90531110763549805f);
        float x2 = c * c;
        float p = Math.fma(x2, -2.76076847742355e-16f, 2.00018790482477e-13f);
        p = Math.fma(p, x2, -8.60467152213735e-11f);
        p = Math.fma(p, x2, 5.12229709037114e-08f);
        p = Math.fma(p, x2, 1.48572235717979e-05f);
        p = Math.fma(p, x2, 6.37261928875436e-04f);
        p = Math.fma(p, x2, 4.89352455891786e-03f);
        p = p * c;
        float q = Math.fma(x2, 1.19825839466702e-06f, 1.18534705686654e-04f);
        q = Math.fma(q, x2, 2.26843463243900e-03f);
        q = Math.fma(q, x2, 4.89352518554385e-03f);
        float t = Math.abs(x) < 0.0004f ? x : p / q;
        if (x >= TANH_SATURATE) t = 1f;
        if (x <= -TANH_SATURATE) t = -1f;
        return t;
    }

    static float logistic(float x) {
        return 1f / (exp(-x) + 1f);
    }
}
