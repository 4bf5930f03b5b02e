package dev.adjoint.kernels;

/**
 * What a conv applies to its outputs as it finishes them, while they are still in cache: a
 * per-output-channel bias and a clamp, {@code y = min(max(conv + bias[c], lo), hi)}. ReLU is
 * {@code lo = +0, hi = +inf}, ReLU6 {@code lo = 0, hi = 6}; no bias is a null array, no bound an
 * infinite one ({@code Math.max(v, -inf)} and {@code Math.min(v, +inf)} are {@code v} bitwise,
 * NaN and signed zeros included). The operations are the f32 add, {@code Math.max} and
 * {@code Math.min} of the separate elementwise steps, in their order, so a fused conv gives
 * bitwise what the conv followed by its bias add and clamp gives (the executor rewrites
 * conv -> add(bias) -> max -> min into one conv step this way, as XLA's gemm_rewriter does for GEMMs).
 *
 * @param bias      per-output-channel bias, Cout floats from {@code biasOffset}, or null for none
 * @param biasOffset where the bias starts
 * @param lo        lower bound (max), {@link Float#NEGATIVE_INFINITY} for none
 * @param hi        upper bound (min), {@link Float#POSITIVE_INFINITY} for none
 */
public record ConvEpilogue(float[] bias, int biasOffset, float lo, float hi) {
    /** Nothing: the plain conv. */
    public static final ConvEpilogue NONE = new ConvEpilogue(null, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);

    /** {@return whether this epilogue changes nothing} */
    public boolean isNone() {
        return bias == null && lo == Float.NEGATIVE_INFINITY && hi == Float.POSITIVE_INFINITY;
    }

    /**
     * Applies the epilogue to {@code y[from, from + len)}, whole rows of {@code cout} channels
     * (scalar: the fallback without the Vector API and the channel tails of the vector code).
     */
    void apply(float[] y, int from, int len, int cout) {
        for (int p = from, end = from + len; p < end; p += cout)
            for (int c = 0; c < cout; c++) y[p + c] = at(y[p + c], c);
    }

    /** The epilogue of one value of output channel {@code c}. */
    float at(float v, int c) {
        if (bias != null) v += bias[biasOffset + c];
        return Math.min(Math.max(v, lo), hi);
    }
}
