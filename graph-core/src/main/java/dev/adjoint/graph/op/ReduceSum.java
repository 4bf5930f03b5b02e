package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/** {@code reduce_sum(x, axes)}: the sum over a set of axes, which disappear. Linear; its transpose is a broadcast ({@link #transposed}). */
public record ReduceSum(Ints axes) implements LinearOp {
    /** Requires sorted, distinct, non-negative axes. */
    public ReduceSum { Rules.requireSortedAxes("reduce_sum", axes); }
    @Override public String name() { return "reduce_sum"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) { return Rules.reduced(name(), axes, inputs.get(0)); }
    @Override public DType type(List<DType> inputs) { return Rules.requireNumeric(name(), "x", inputs.get(0)); }
    @Override public String attributes() { return "axes=" + axes; }

    /** The transpose for an input of shape {@code input}: the broadcast back over the summed axes. */
    public BroadcastInDim transposed(Shape input) {
        int[] kept = new int[input.rank() - axes.size()];
        for (int a = 0, j = 0; a < input.rank(); a++) if (!axes.contains(a)) kept[j++] = a;
        return new BroadcastInDim(input, Ints.of(kept));
    }
}
