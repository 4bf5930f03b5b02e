package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/** {@code rev(x, axes)}: reverses the order of elements along each listed axis. */
public record Rev(Ints axes) implements LinearOp {
    /** Requires distinct, non-negative axes. */
    public Rev { Rules.requireDistinctAxes("rev", "axes", axes); }
    @Override public String name() { return "rev"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Rules.requireAxesInRange(name(), "axes", axes, inputs.get(0));
        return inputs.get(0);
    }
    @Override public DType type(List<DType> inputs) { return inputs.get(0); }
    @Override public String attributes() { return "axes=" + axes; }
}
