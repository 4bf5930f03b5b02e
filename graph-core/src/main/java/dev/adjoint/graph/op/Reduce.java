package dev.adjoint.graph.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** A reduction over a set of axes, which disappear from the shape ({@code reduce_sum}, {@code reduce_max}). */
public record Reduce(ReduceFn fn, Ints axes) implements Op {
    /** Requires sorted, distinct, non-negative axes. */
    public Reduce {
        Objects.requireNonNull(fn, "fn");
        Rules.requireDistinctAxes(fn.label(), "axes", axes);
        if (!axes.strictlyIncreasing()) {
            throw Rules.error(fn.label() + ": attribute axes " + axes + " must be sorted in increasing order");
        }
    }
    @Override public String name() { return fn.label(); }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0);
        Rules.requireAxesInRange(name(), "axes", axes, x);
        int[] out = new int[x.rank() - axes.size()];
        for (int i = 0, j = 0; i < x.rank(); i++) if (!axes.contains(i)) out[j++] = x.dim(i);
        return Shape.of(out);
    }
    @Override public String attributes() { return "axes=" + axes; }
}
