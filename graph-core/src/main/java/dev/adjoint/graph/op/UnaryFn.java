package dev.adjoint.graph.op;

/**
 * The elementwise functions of one argument. {@code neg}, {@code abs} and {@code sign} take any
 * numeric type, {@code not} takes bool (logical) or an integer type (bitwise), the rest take floats.
 */
public enum UnaryFn {
    /** {@code -x}. */ NEG,
    /** {@code e^x}. */ EXP,
    /** Natural logarithm. */ LOG,
    /** Hyperbolic tangent. */ TANH,
    /** {@code 1 / (1 + e^-x)}. */ LOGISTIC,
    /** Square root. */ SQRT,
    /** {@code 1 / sqrt(x)}. */ RSQRT,
    /** Absolute value. */ ABS,
    /** -1, 0 or 1 (0 at 0). */ SIGN,
    /** The error function {@code 2/sqrt(pi) int_0^x e^-t^2 dt}. */ ERF,
    /** Sine. */ SIN,
    /** Cosine. */ COS,
    /** Arc tangent. */ ATAN,
    /** {@code log(1 + x)}, accurate near 0. */ LOG1P,
    /** {@code e^x - 1}, accurate near 0. */ EXPM1,
    /** Largest integer {@code <= x} (tangent zero). */ FLOOR,
    /** Smallest integer {@code >= x} (tangent zero). */ CEIL,
    /** Nearest integer, halves to even (tangent zero). */ ROUND,
    /** Logical not on bool, bitwise not on integers. */ NOT;

    /** Lower-case name, as in files and DOT output. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
