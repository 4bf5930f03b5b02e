package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code scatter_add(x, indices, updates, axis)}: torch's {@code scatter_add}, ONNX's
 * {@code ScatterElements} with {@code reduction="add"}. The output is {@code x} with, for every
 * position {@code p} of {@code updates}, {@code updates[p]} added at {@code p} with its
 * {@code axis} coordinate replaced by {@code indices[p]}; repeated targets accumulate.
 * {@code indices} has the shape of {@code updates}, the rank of {@code x}, and off {@code axis}
 * sizes no larger than its. Linear in {@code x} and {@code updates} jointly: its transpose is the
 * cotangent itself for {@code x} and a {@link TakeAlongAxis} of it for {@code updates}.
 */
public record ScatterAdd(int axis) implements LinearOp {
    /** Requires a non-negative axis. */
    public ScatterAdd {
        if (axis < 0) throw Rules.error("scatter_add: attribute axis " + axis + " is negative; axes must be >= 0");
    }
    @Override public String name() { return "scatter_add"; }
    @Override public int arity() { return 3; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0), idx = inputs.get(1), updates = inputs.get(2);
        Rules.requireAxis(name(), axis, x, "x");
        if (!idx.equals(updates)) {
            throw Rules.error(name() + ": indices " + idx + " and updates " + updates + " must have the same shape");
        }
        Rules.requireIndexShape(name(), axis, x, idx, "updates");
        return x;
    }
    @Override public DType type(List<DType> inputs) {
        Rules.requireNumeric(name(), "x", inputs.get(0));
        Rules.requireInteger(name(), "indices", inputs.get(1));
        if (inputs.get(2) != inputs.get(0)) {
            throw Rules.error(name() + ": updates have type " + inputs.get(2).label() + " but x has " + inputs.get(0).label()
                    + "; convert one with convert(x, " + inputs.get(0).name() + ")");
        }
        return inputs.get(0);
    }
    /** Linear in {@code x} and {@code updates}; the indices are fixed. */
    @Override public boolean isLinearIn(int i) { return i != 1; }
    @Override public String attributes() { return "axis=" + axis; }

    /** The transpose with respect to {@code updates}: the cotangent read back at the same indices. */
    public TakeAlongAxis transposed() { return new TakeAlongAxis(axis); }
}
