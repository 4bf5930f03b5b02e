package dev.adjoint.graph.op;

/** Which extremum {@link ArgReduce} finds. */
public enum ArgFn {
    /** Index of the largest element (first on ties; NaN counts as largest). */ ARGMAX,
    /** Index of the smallest element (first on ties; NaN counts as smallest). */ ARGMIN;

    /** Lower-case name, as in files and DOT output. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
