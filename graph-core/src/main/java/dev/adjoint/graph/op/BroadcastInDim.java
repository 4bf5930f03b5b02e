package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * {@code broadcast_in_dim(x, shape, dims)}: output axis {@code dims[i]} takes input axis {@code i}
 * (whose size is the output's or 1); the other output axes repeat. Its transpose is a
 * {@code reduce_sum} over the repeated axes followed by a reshape: {@link #transposed(Shape)}.
 */
public record BroadcastInDim(Shape shape, Ints dims) implements LinearOp {
    /** Validates the axis map against the output shape. */
    public BroadcastInDim {
        Objects.requireNonNull(shape, "shape");
        if (!dims.strictlyIncreasing()) {
            throw Rules.error("broadcast_in_dim: attribute dims " + dims + " must strictly increase");
        }
        for (int i = 0; i < dims.size(); i++) {
            if (dims.get(i) < 0 || dims.get(i) >= shape.rank()) {
                throw Rules.error("broadcast_in_dim: attribute dims " + dims + " names output axis " + dims.get(i)
                        + " but the output shape " + shape + " has rank " + shape.rank());
            }
        }
    }
    @Override public String name() { return "broadcast_in_dim"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0);
        if (x.rank() != dims.size()) {
            throw Rules.error("broadcast_in_dim: attribute dims " + dims + " has " + dims.size()
                    + " entries but the input has rank " + x.rank() + "; give the output axis of every input axis");
        }
        for (int i = 0; i < dims.size(); i++) {
            int want = shape.dim(dims.get(i));
            if (x.dim(i) != want && x.dim(i) != 1) {
                throw Rules.error("broadcast_in_dim: input axis " + i + " (size " + x.dim(i) + ") maps to output axis "
                        + dims.get(i) + " (size " + want + "); the sizes must be equal or the input's must be 1");
            }
        }
        return shape;
    }
    @Override public DType type(List<DType> inputs) { return inputs.get(0); }
    @Override public String attributes() { return "shape=" + shape + " dims=" + dims; }

    /**
     * The transpose, as primitives applied to the cotangent in order: {@code sum} over the new
     * axes and the stretched size-1 axes, then {@code reshape} of the remaining axes (in input
     * order) to the input shape. Either is {@code null} when it would change nothing.
     */
    public record Transposed(ReduceSum sum, Reshape reshape) {
        /** The primitives to apply, in order. */
        public List<LinearOp> ops() {
            List<LinearOp> out = new ArrayList<>(2);
            if (sum != null) out.add(sum);
            if (reshape != null) out.add(reshape);
            return out;
        }
    }

    /** This broadcast's transpose for an input of shape {@code input}. */
    public Transposed transposed(Shape input) {
        boolean[] summed = new boolean[shape.rank()];
        Arrays.fill(summed, true);
        for (int i = 0; i < input.rank(); i++) {
            int a = dims.get(i);
            summed[a] = input.dim(i) == 1 && shape.dim(a) != 1;
        }
        int n = 0;
        for (boolean s : summed) if (s) n++;
        int[] axes = new int[n];
        int[] kept = new int[shape.rank() - n];
        for (int a = 0, j = 0, k = 0; a < summed.length; a++) {
            if (summed[a]) axes[j++] = a;
            else kept[k++] = shape.dim(a);
        }
        return new Transposed(n == 0 ? null : new ReduceSum(Ints.of(axes)),
                Shape.of(kept).equals(input) ? null : new Reshape(input));
    }
}
