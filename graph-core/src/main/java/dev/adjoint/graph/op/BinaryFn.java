package dev.adjoint.graph.op;

/** The elementwise functions of two arguments. */
public enum BinaryFn {
    /** {@code a + b}. */ ADD,
    /** {@code a - b}. */ SUB,
    /** {@code a * b}. */ MUL,
    /** {@code a / b}. */ DIV,
    /** Larger of the two. */ MAX,
    /** Smaller of the two. */ MIN,
    /** {@code a^b}. */ POW;

    /** Lower-case name, as in files and DOT output. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
