package dev.adjoint.graph.op;

/** The elementwise comparisons; each yields a 0/1 mask. */
public enum Comparison {
    /** {@code a < b}. */ LT,
    /** {@code a <= b}. */ LE,
    /** {@code a > b}. */ GT,
    /** {@code a >= b}. */ GE,
    /** {@code a == b}. */ EQ;

    /** Lower-case name, as in files and DOT output. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
