package dev.adjoint.graph.op;

/** The non-linear reductions ({@code reduce_sum}, the linear one, is {@link ReduceSum}). */
public enum ReduceFn {
    /** Maximum over the axes (-inf, or the type's minimum, when empty). */ MAX,
    /** Minimum over the axes (+inf, or the type's maximum, when empty). */ MIN,
    /** Product over the axes (1 when empty). */ PROD;

    /** Name as in files and DOT output: {@code reduce_max}, {@code reduce_min}, {@code reduce_prod}. */
    public String label() { return "reduce_" + name().toLowerCase(java.util.Locale.ROOT); }
}
