package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code gather(x, indices, axis)}, numpy's {@code take}: the slices of {@code x} along
 * {@code axis} at the given integer indices, of any shape. The output shape is
 * {@code x.shape[:axis] + indices.shape + x.shape[axis+1:]}. Linear in {@code x}; its transpose
 * is a {@link ScatterAdd} into zeros (repeated indices accumulate): {@link #transposed}. An index outside
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

    /**
     * The transpose with respect to {@code x}, as primitives: the cotangent, of shape
     * {@code x[:axis] + indices.shape + x[axis+1:]}, reshaped by {@code updates} to
     * {@code x[:axis] + [m] + x[axis+1:]} ({@code m} indices; a rank-0 index counts 1); the
     * indices flattened by {@code flatIndices} to {@code [m]} and broadcast along {@code axis} of
     * that shape by {@code indices} (the take_along_axis form); then {@code scatter} adds them
     * into zeros of x's shape, repeated indices accumulating.
     */
    public record Transposed(Reshape updates, Reshape flatIndices, BroadcastInDim indices, ScatterAdd scatter) {}

    /** This gather's transpose for {@code x} and {@code indices} of the given shapes. */
    public Transposed transposed(Shape x, Shape indices) {
        int m = indices.size();
        int[] flat = x.dims();
        flat[axis] = m;
        return new Transposed(new Reshape(Shape.of(flat)), new Reshape(Shape.of(m)),
                new BroadcastInDim(Shape.of(flat), Ints.of(axis)), new ScatterAdd(axis));
    }
}
