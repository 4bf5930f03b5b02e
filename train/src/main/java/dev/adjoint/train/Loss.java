package dev.adjoint.train;

import dev.adjoint.graph.Tensor;

/** A scalar loss of a model's output and the batch's targets, e.g. {@code Nn::crossEntropy}. */
@FunctionalInterface
public interface Loss {
    /** The (mean) loss, an f32 scalar. */
    Tensor apply(Tensor output, Tensor target);
}
