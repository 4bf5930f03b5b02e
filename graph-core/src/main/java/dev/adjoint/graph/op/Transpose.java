package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/** {@code transpose(x, perm)}: output axis {@code i} is input axis {@code perm[i]}. */
public record Transpose(Ints perm) implements LinearOp {
    /** Requires a permutation. */
    public Transpose {
        if (!perm.isPermutation()) {
            throw Rules.error("transpose: attribute perm " + perm + " is not a permutation of 0.." + (perm.size() - 1));
        }
    }
    @Override public String name() { return "transpose"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0);
        Rules.requireLength(name(), "perm", perm, x.rank());
        int[] out = new int[x.rank()];
        for (int i = 0; i < out.length; i++) out[i] = x.dim(perm.get(i));
        return Shape.of(out);
    }
    @Override public DType type(List<DType> inputs) { return inputs.get(0); }
    @Override public String attributes() { return "perm=" + perm; }

    /** The transpose of this (linear) op: the inverse permutation. */
    public Transpose transposed() { return new Transpose(perm.inversePermutation()); }
}
