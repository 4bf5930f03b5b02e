package dev.adjoint.graph;

import dev.adjoint.graph.op.RandomBits;

/**
 * Stateless, counter-based random numbers as in JAX: a key is an i32 {@code [2]} tensor, every
 * draw is a pure function of its key, and fresh keys come from {@link #split}. The only
 * primitive is {@code random_bits} (Threefry-2x32-20 with JAX's bit layout, {@link Threefry});
 * every distribution here is a composite of ordinary primitives (shifts, converts, log, cos,
 * erf, ...), so the interpreter and the executor produce the same values from the same bits.
 *
 * <p>Draws are not differentiable in the key (integer values have no tangent); the bounds are
 * Java doubles, so nothing here carries a derivative.
 */
public final class Random {
    private Random() {}

    /**
     * JAX's {@code PRNGKey(seed)}: the constant i32 {@code [2]} key {@code [seed >>> 32, seed & 0xffffffff]}
     * (the high and low 32-bit words of the 64-bit seed; seed 0 gives {@code [0, 0]}).
     */
    public static Tensor key(Graph g, long seed) {
        return g.constant(DType.I32, Shape.of(2), (int) (seed >>> 32), (int) seed);
    }

    /** JAX's {@code split(key, n)}: {@code n} new keys as an i32 {@code [n, 2]} tensor (row {@code i} is key {@code i}). */
    public static Tensor split(Tensor key, int n) {
        if (n < 1) throw error("split", "needs n >= 1 keys, got " + n + "; key: " + key.shape());
        return key.graph().add(() -> new RandomBits(Shape.of(n, 2)), key);
    }

    /** Key {@code i} of {@code keys}, an i32 {@code [n, 2]} tensor from {@link #split}, as a {@code [2]} key. */
    public static Tensor keyAt(Tensor keys, int i) {
        if (keys.rank() != 2 || keys.dim(1) != 2 || i < 0 || i >= keys.dim(0)) {
            throw error("key_at", "needs keys of shape [n, 2] and 0 <= i < n; keys: " + keys.shape() + ", i: " + i);
        }
        return keys.slice(new int[] {i, 0}, new int[] {i + 1, 2}).reshape(2);
    }

    /** 32 random bits per element, as i32 (JAX's {@code random.bits} with dtype uint32, reinterpreted). */
    public static Tensor bits(Tensor key, int... shape) {
        return key.graph().add(() -> new RandomBits(Shape.of(shape)), key);
    }

    /**
     * Uniform floats in {@code [lo, hi)}. The unit draw is exact: for f32 the top 24 bits of each
     * word ({@code bits >>> 8}, converted and scaled by {@code 2^-24}); for f64 53 bits from two
     * words ({@code (w0 >>> 5) * 2^26 + (w1 >>> 6)}, scaled by {@code 2^-53}). Both are in
     * {@code [0, 1)} exactly, with every value equally likely. For other bounds the affine map is
     * clamped to {@code [lo, nextDown(hi)]} in {@code t}, since rounding could otherwise reach {@code hi}.
     */
    public static Tensor uniform(Tensor key, DType t, double lo, double hi, int... shape) {
        if (!t.isFloat()) throw error("uniform", "the type must be f32 or f64, got " + t.label());
        if (!(lo < hi) || Double.isInfinite(lo) || Double.isInfinite(hi)) {
            throw error("uniform", "needs finite bounds lo < hi, got [" + lo + ", " + hi + ")");
        }
        Tensor u;
        if (t == DType.F32) {
            u = bits(key, shape).shiftRightLogical(8).convert(DType.F32).mul(0x1p-24);
        } else {
            Tensor w = bits(key, prepend(2, shape));
            Tensor hiBits = word(w, 0, shape).shiftRightLogical(5).convert(DType.F64);
            Tensor loBits = word(w, 1, shape).shiftRightLogical(6).convert(DType.F64);
            u = hiBits.mul(0x1p26).add(loBits).mul(0x1p-53);
        }
        if (lo == 0 && hi == 1) return u;
        double top = t == DType.F32 ? Math.nextDown((float) hi) : Math.nextDown(hi);
        return u.mul(hi - lo).add(lo).max(lo).min(top);
    }

    /**
     * Standard normal floats by the Box-Muller transform: from two unit uniforms {@code u1, u2},
     * {@code sqrt(-2 log(1 - u1)) * cos(2 pi u2)} ({@code 1 - u1} is in {@code (0, 1]}, so the log is
     * finite). The tails end where {@code 1 - u1} is smallest: at about 5.8 for f32 (24-bit
     * uniforms) and 8.6 for f64 (53-bit uniforms). Chosen over the inverse CDF because it needs only
     * log, sqrt and cos, which every backend has exactly, where an inverse error function would be
     * another approximation.
     */
    public static Tensor normal(Tensor key, DType t, int... shape) {
        if (!t.isFloat()) throw error("normal", "the type must be f32 or f64, got " + t.label());
        Tensor u = uniform(key, t, 0, 1, prepend(2, shape));
        Tensor u1 = word(u, 0, shape), u2 = word(u, 1, shape);
        Tensor r = u1.neg().add(1.0).log().mul(-2.0).sqrt();
        return r.mul(u2.mul(2 * Math.PI).cos());
    }

    /** A bool mask, true with probability {@code p} (in {@code [0, 1]}): {@code uniform < p} with f32 uniforms. */
    public static Tensor bernoulli(Tensor key, double p, int... shape) {
        if (!(p >= 0 && p <= 1)) throw error("bernoulli", "the probability must be in [0, 1], got " + p);
        return uniform(key, DType.F32, 0, 1, shape).lt(p);
    }

    /**
     * Standard normal floats truncated to {@code [lo, hi]} (initialisers; JAX's
     * {@code truncated_normal}) by the inverse CDF: a uniform {@code u} in
     * {@code [erf(lo/sqrt2), erf(hi/sqrt2))}, then {@code sqrt2 * erfinv(u)}, clamped to {@code [lo, hi]}.
     * {@code erfinv} is a composite: Giles' single-precision polynomial refined by Newton steps on
     * {@code erf} (one for f32, two for f64).
     */
    public static Tensor truncatedNormal(Tensor key, DType t, double lo, double hi, int... shape) {
        if (!t.isFloat()) throw error("truncated_normal", "the type must be f32 or f64, got " + t.label());
        if (!(lo < hi)) throw error("truncated_normal", "needs bounds lo < hi, got [" + lo + ", " + hi + "]");
        double a = Scalar.erf(lo / Math.sqrt(2)), b = Scalar.erf(hi / Math.sqrt(2));
        if (!(a < b)) {
            throw error("truncated_normal", "the bounds [" + lo + ", " + hi + "] lie so far in one tail that their"
                    + " normal CDFs are equal in float64; shift the bounds nearer to 0");
        }
        // Keep u off +-1, where erfinv is infinite: the clamp makes the draw finite for infinite bounds too.
        double one = t == DType.F32 ? Math.nextDown(1.0f) : Math.nextDown(1.0);
        Tensor u = uniform(key, t, a, b, shape).max(-one).min(one);
        Tensor z = erfinv(u).mul(Math.sqrt(2));
        return z.max(lo).min(hi);
    }

    /**
     * The inverse error function on {@code (-1, 1)}: M. Giles, "Approximating the erfinv function"
     * (GPU Computing Gems, 2011), single-precision branch pair, then Newton steps
     * {@code y -= (erf(y) - x) * sqrt(pi)/2 * exp(y^2)}.
     */
    static Tensor erfinv(Tensor x) {
        Tensor w = x.neg().add(1.0).mul(x.add(1.0)).log().neg();
        Tensor central = horner(w.sub(2.5), 2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941);
        Tensor tail = horner(w.sqrt().sub(3.0), -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682);
        Tensor y = Tensor.where(w.lt(5.0), central, tail).mul(x);
        int steps = x.dtype() == DType.F64 ? 2 : 1;
        for (int i = 0; i < steps; i++) {
            y = y.sub(y.erf().sub(x).mul(y.square().exp()).mul(Math.sqrt(Math.PI) / 2));
        }
        return y;
    }

    /** {@code c[0] w^(n-1) + ... + c[n-1]}. */
    private static Tensor horner(Tensor w, double... c) {
        Tensor p = w.mul(c[0]).add(c[1]);
        for (int i = 2; i < c.length; i++) p = p.mul(w).add(c[i]);
        return p;
    }

    /** Row {@code i} of a {@code [2, shape..]} tensor, as {@code shape}. */
    private static Tensor word(Tensor w, int i, int[] shape) {
        int[] start = new int[w.rank()], stop = w.shape().dims();
        start[0] = i;
        stop[0] = i + 1;
        return w.slice(start, stop).reshape(shape);
    }

    private static int[] prepend(int d, int[] shape) {
        int[] out = new int[shape.length + 1];
        out[0] = d;
        System.arraycopy(shape, 0, out, 1, shape.length);
        return out;
    }

    private static ShapeException error(String op, String rule) {
        return new ShapeException("random." + op + ": " + rule + " (at " + CallSite.describe(CallSite.capture()) + ")");
    }
}
