package dev.adjoint.graph.op;

/** The reductions. */
public enum ReduceFn {
    /** Sum over the axes. */ SUM,
    /** Maximum over the axes. */ MAX;

    /** Name as in files and DOT output: {@code reduce_sum}, {@code reduce_max}. */
    public String label() { return "reduce_" + name().toLowerCase(java.util.Locale.ROOT); }
}
