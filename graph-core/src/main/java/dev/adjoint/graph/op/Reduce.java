package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** A non-linear reduction over a set of axes, which disappear from the shape ({@code reduce_max}, {@code reduce_min}, {@code reduce_prod}). */
public record Reduce(ReduceFn fn, Ints axes) implements Op {
    /** Requires sorted, distinct, non-negative axes. */
    public Reduce {
        Objects.requireNonNull(fn, "fn");
        Rules.requireSortedAxes(fn.label(), axes);
    }
    @Override public String name() { return fn.label(); }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        return Rules.reduced(name(), axes, inputs.get(0));
    }
    @Override public DType type(List<DType> inputs) { return Rules.requireNumeric(name(), "x", inputs.get(0)); }
    @Override public String attributes() { return "axes=" + axes; }
}
