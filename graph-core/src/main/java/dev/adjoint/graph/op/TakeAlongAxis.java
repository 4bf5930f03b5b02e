package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code take_along_axis(x, indices, axis)}: torch's {@code gather}, ONNX's {@code GatherElements}.
 * {@code indices} has the rank of {@code x} and, off {@code axis}, sizes no larger than its; the
 * output has the shape of {@code indices}, with
 * {@code out[i.., j, k..] = x[i.., indices[i.., j, k..], k..]}. Linear in {@code x}; its transpose
 * is a {@link ScatterAdd} into zeros.
 */
public record TakeAlongAxis(int axis) implements LinearOp {
    /** Requires a non-negative axis. */
    public TakeAlongAxis {
        if (axis < 0) throw Rules.error("take_along_axis: attribute axis " + axis + " is negative; axes must be >= 0");
    }
    @Override public String name() { return "take_along_axis"; }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0), idx = inputs.get(1);
        Rules.requireAxis(name(), axis, x, "x");
        Rules.requireIndexShape(name(), axis, x, idx, "indices");
        return idx;
    }
    @Override public DType type(List<DType> inputs) {
        Rules.requireInteger(name(), "indices", inputs.get(1));
        return inputs.get(0);
    }
    /** Linear in {@code x}; the indices are fixed. */
    @Override public boolean isLinearIn(int i) { return i == 0; }
    @Override public String attributes() { return "axis=" + axis; }

    /** The transpose with respect to {@code x}: the cotangent scatter-added at the same indices into zeros of x's shape. */
    public ScatterAdd transposed() { return new ScatterAdd(axis); }
}
