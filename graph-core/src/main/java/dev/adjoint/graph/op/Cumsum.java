package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code cumsum(x, axis, reverse)}: the inclusive running sum along one axis, from the start
 * ({@code out[i] = sum_{j <= i} x[j]}) or, reversed, from the end ({@code sum_{j >= i}}).
 * Linear; its transpose is the cumsum in the other direction.
 */
public record Cumsum(int axis, boolean reverse) implements LinearOp {
    /** Requires a non-negative axis. */
    public Cumsum {
        if (axis < 0) throw Rules.error("cumsum: attribute axis " + axis + " is negative; axes must be >= 0");
    }
    @Override public String name() { return "cumsum"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Rules.requireAxis(name(), axis, inputs.get(0), "x");
        return inputs.get(0);
    }
    @Override public DType type(List<DType> inputs) { return Rules.requireNumeric(name(), "x", inputs.get(0)); }
    @Override public String attributes() { return "axis=" + axis + (reverse ? " reverse" : ""); }

    /** The transpose: the running sum in the other direction. */
    public Cumsum transposed() { return new Cumsum(axis, !reverse); }
}
