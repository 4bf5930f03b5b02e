package dev.adjoint.kernels;

/**
 * Unary elementwise operations known to the kernels. The kernel package cannot see the
 * graph's op records, so the executor maps each graph op onto one of these constants.
 */
public enum UnaryKernelOp {
    /** {@code -x}. */
    NEG,
    /** {@code e^x}. */
    EXP,
    /** Natural logarithm. */
    LOG,
    /** Hyperbolic tangent. */
    TANH,
    /** {@code 1 / (1 + e^-x)}. */
    LOGISTIC,
    /** Square root. */
    SQRT,
    /** {@code 1 / sqrt(x)}: a correctly rounded float sqrt, then a float divide (no 12-bit hardware estimate). */
    RSQRT,
    /** Absolute value. */
    ABS,
    /** -1, 0 or 1 by the sign of x; signed zeros and NaN pass through unchanged. */
    SIGN,
    /** The error function: graph-core's float64 {@code Scalar.erf}, rounded to float (within one f32 ulp). */
    ERF,
    /** Sine, {@link Math#sin} rounded to float. */
    SIN,
    /** Cosine, {@link Math#cos} rounded to float. */
    COS,
    /** Arctangent, {@link Math#atan} rounded to float. */
    ATAN,
    /** {@code log(1 + x)}, accurate for small x. */
    LOG1P,
    /** {@code e^x - 1}, accurate for small x. */
    EXPM1,
    /** Round toward negative infinity. */
    FLOOR,
    /** Round toward positive infinity. */
    CEIL,
    /** Round half to even, as {@link Math#rint}. */
    ROUND;

    /**
     * The scalar definition, used by the scalar fallback and for operands that are constant
     * over a whole row; for exp, log, tanh and logistic the vector code's own definition on one
     * lane, so the result never depends on the size of the tensor.
     *
     * @param x the argument
     * @return the result
     */
    public float apply(float x) {
        return switch (this) {
            case NEG -> -x;
            // The vector definitions on one lane (ScalarMath): the same bits whatever the tensor size.
            case EXP -> ScalarMath.exp(x);
            case LOG -> ScalarMath.log(x);
            case TANH -> ScalarMath.tanh(x);
            case LOGISTIC -> ScalarMath.logistic(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> 1f / (float) Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case ERF -> (float) dev.adjoint.graph.Scalar.erf(x);
            case SIN -> (float) Math.sin(x);
            case COS -> (float) Math.cos(x);
            case ATAN -> (float) Math.atan(x);
            case LOG1P -> (float) Math.log1p(x);
            case EXPM1 -> (float) Math.expm1(x);
            case FLOOR -> (float) Math.floor(x);
            case CEIL -> (float) Math.ceil(x);
            case ROUND -> (float) Math.rint(x);
        };
    }
}
