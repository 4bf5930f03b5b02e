package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/** {@code select(mask, a, b)}: {@code a} where the mask is non-zero, else {@code b}; all of one shape. */
public record Select() implements LinearOp {
    @Override public String name() { return "select"; }
    @Override public int arity() { return 3; }
    @Override public Shape infer(List<Shape> inputs) { return Rules.requireSameShapes(name(), inputs); }
    @Override public DType type(List<DType> inputs) {
        if (inputs.get(0) != DType.BOOL) {
            throw Rules.error("select: the mask has type " + inputs.get(0).label() + " but must be bool; compare to make one, e.g. ne(x, 0)");
        }
        return Rules.requireSameTypes(name(), inputs.subList(1, 3));
    }
    /** Linear in {@code a} and {@code b}; the mask is fixed. */
    @Override public boolean isLinearIn(int i) { return i > 0; }
    @Override public String attributes() { return ""; }
}
