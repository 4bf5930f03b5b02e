package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.List;

/** An elementwise nonlinearity with no variables. */
public enum Activation implements Layer {
    /** {@code max(x, 0)}. */
    RELU,
    /** {@code tanh(x)}. */
    TANH,
    /** {@code 1 / (1 + exp(-x))}. */
    SIGMOID,
    /** GELU, erf form. */
    GELU,
    /** {@code x * sigmoid(x)}. */
    SILU;

    @Override public List<ParamSpec> variables() { return List.of(); }

    @Override public Tensor apply(Vars v, Tensor x) {
        return switch (this) {
            case RELU -> x.relu();
            case TANH -> x.tanh();
            case SIGMOID -> x.sigmoid();
            case GELU -> Nn.gelu(x);
            case SILU -> Nn.silu(x);
        };
    }

    @Override public String describe() { return name().charAt(0) + name().substring(1).toLowerCase(java.util.Locale.ROOT); }
}
