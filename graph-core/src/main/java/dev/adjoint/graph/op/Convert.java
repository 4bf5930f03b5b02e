package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/**
 * {@code convert(x, type)}: each element converted to another element type. Float to integer
 * truncates toward zero (NaN gives 0, out-of-range values saturate, as Java casts do); to bool
 * is {@code x != 0}; bool to a number is 0 or 1. Between float types it is linear (its
 * transpose converts back); into or out of an integer or bool type the tangent is zero.
 */
public record Convert(DType to) implements LinearOp {
    /** Requires a target type. */
    public Convert { Objects.requireNonNull(to, "to"); }
    @Override public String name() { return "convert"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) { return inputs.get(0); }
    @Override public DType type(List<DType> inputs) { return to; }
    @Override public String attributes() { return "to=" + to.label(); }
}
