package dev.adjoint.train;

import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * Adds a learned position vector to each step of {@code x [B, T, D]} (GPT-2's {@code wpe}):
 * {@code x + weight[:T]}, with {@code weight [maxLength, D]} initialised N(0, 0.02).
 *
 * @param maxLength longest sequence
 * @param dim width
 */
public record PositionalEmbedding(int maxLength, int dim) implements Layer {
    @Override public List<ParamSpec> variables() {
        return List.of(ParamSpec.param("weight", Shape.of(maxLength, dim), Init.normal(0, 0.02), maxLength, dim));
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        if (x.rank() != 3 || x.dim(2) != dim || x.dim(1) > maxLength) {
            throw new IllegalArgumentException(describe() + ": needs x [B, T <= " + maxLength + ", " + dim + "]; x: " + x.shape());
        }
        return x.add(v.get("weight").slice(new int[] {0, 0}, new int[] {x.dim(1), dim}));
    }

    @Override public String describe() { return "PositionalEmbedding(" + maxLength + ", " + dim + ")"; }
}
