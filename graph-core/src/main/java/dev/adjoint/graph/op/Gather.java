package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code gather(x, indices, axis)}, numpy's {@code take}: the slices of {@code x} along
 * {@code axis} at the given integer indices, of any shape. The output shape is
 * {@code x.shape[:axis] + indices.shape + x.shape[axis+1:]}. Linear in {@code x}; its transpose
 * is a {@link ScatterAdd} into zeros (repeated indices accumulate). An index outside
 * {@code [0, x.shape[axis])} is a run-time error.
 */
public record Gather(int axis) implements LinearOp {
    /** Requires a non-negative axis. */
    public Gather {
        if (axis < 0) throw Rules.error("gather: attribute axis " + axis + " is negative; axes must be >= 0");
    }
    @Override public String name() { return "gather"; }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0), idx = inputs.get(1);
        Rules.requireAxis(name(), axis, x, "x");
        int[] out = new int[x.rank() - 1 + idx.rank()];
        int j = 0;
        for (int a = 0; a < axis; a++) out[j++] = x.dim(a);
        for (int a = 0; a < idx.rank(); a++) out[j++] = idx.dim(a);
        for (int a = axis + 1; a < x.rank(); a++) out[j++] = x.dim(a);
        return Shape.of(out);
    }
    @Override public DType type(List<DType> inputs) {
        Rules.requireInteger(name(), "indices", inputs.get(1));
        return inputs.get(0);
    }
    /** Linear in {@code x}; the indices are fixed. */
    @Override public boolean isLinearIn(int i) { return i == 0; }
    @Override public String attributes() { return "axis=" + axis; }
}
