package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** An elementwise comparison of two tensors of the same shape, giving a 0/1 mask (no derivative). */
public record Compare(Comparison comparison) implements Op {
    /** Requires a comparison. */
    public Compare { Objects.requireNonNull(comparison, "comparison"); }
    @Override public String name() { return comparison.label(); }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) { return Rules.requireSameShapes(name(), inputs); }
    @Override public DType type(List<DType> inputs) {
        Rules.requireSameTypes(name(), inputs);
        return DType.BOOL;
    }
    @Override public String attributes() { return ""; }
}
