package dev.adjoint.graph.op;

/** The elementwise comparisons; each yields a bool mask. Every comparison with NaN is false except {@code ne}. */
public enum Comparison {
    /** {@code a < b}. */ LT,
    /** {@code a <= b}. */ LE,
    /** {@code a > b}. */ GT,
    /** {@code a >= b}. */ GE,
    /** {@code a == b}. */ EQ,
    /** {@code a != b} (true where either is NaN). */ NE;

    /** Lower-case name, as in files and DOT output. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
