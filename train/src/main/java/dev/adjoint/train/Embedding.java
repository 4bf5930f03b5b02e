package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * A lookup table (PyTorch {@code Embedding(num, dim)}): integer ids {@code [...]} to rows of
 * {@code weight [num, dim]}, initialised N(0, 1) as PyTorch does.
 *
 * @param num vocabulary size
 * @param dim row width
 */
public record Embedding(int num, int dim) implements Layer {
    /** Checks the sizes. */
    public Embedding {
        if (num < 1 || dim < 1) throw new IllegalArgumentException("Embedding needs num, dim >= 1, got " + num + ", " + dim);
    }

    /** {@code Embedding(num, dim)}. */
    public static Embedding of(int num, int dim) { return new Embedding(num, dim); }

    @Override public List<ParamSpec> variables() {
        return List.of(ParamSpec.param("weight", Shape.of(num, dim), Init.normal(0, 1), num, dim));
    }

    @Override public Tensor apply(Vars v, Tensor x) { return Nn.embedding(x, v.get("weight")); }

    @Override public String describe() { return "Embedding(" + num + ", " + dim + ")"; }
}
