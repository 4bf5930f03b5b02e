package dev.adjoint.train;

import dev.adjoint.graph.Tensor;
import java.util.List;

/** {@code [N, ...] -> [N, prod(...)]} (PyTorch {@code Flatten()}). */
public record Flatten() implements Layer {
    /** {@code Flatten()}. */
    public static Flatten of() { return new Flatten(); }

    @Override public List<ParamSpec> variables() { return List.of(); }

    @Override public Tensor apply(Vars v, Tensor x) { return x.rank() <= 2 ? x : x.flatten(1, -1); }
}
