package dev.adjoint.graph.op;

/** The elementwise functions of one argument. */
public enum UnaryFn {
    /** {@code -x}. */ NEG,
    /** {@code e^x}. */ EXP,
    /** Natural logarithm. */ LOG,
    /** Hyperbolic tangent. */ TANH,
    /** {@code 1 / (1 + e^-x)}. */ LOGISTIC,
    /** Square root. */ SQRT,
    /** {@code 1 / sqrt(x)}. */ RSQRT,
    /** Absolute value. */ ABS,
    /** -1, 0 or 1 (0 at 0). */ SIGN;

    /** Lower-case name, as in files and DOT output. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
