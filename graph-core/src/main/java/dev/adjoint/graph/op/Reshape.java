package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** {@code reshape(x, shape)}: the same row-major elements under another shape of equal size. */
public record Reshape(Shape shape) implements LinearOp {
    /** Requires a shape. */
    public Reshape { Objects.requireNonNull(shape, "shape"); }
    @Override public String name() { return "reshape"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0);
        if (x.size() != shape.size()) {
            throw Rules.error("reshape: the target shape " + shape + " has " + shape.size() + " elements but the input "
                    + x + " has " + x.size() + "; a reshape keeps the element count");
        }
        return shape;
    }
    @Override public DType type(List<DType> inputs) { return inputs.get(0); }
    @Override public String attributes() { return "shape=" + shape; }
}
