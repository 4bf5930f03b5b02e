package dev.adjoint.train;

import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * {@code x + inner(x)}: a skip connection around a layer whose output has the input's shape.
 * The inner layer's variables are named as its own ({@code Residual} adds no prefix level other
 * than {@code inner.}).
 *
 * @param inner the branch
 */
public record Residual(Layer inner) implements Layer {
    @Override public List<ParamSpec> variables() { return inner.variables().stream().map(p -> p.prefixed("inner")).toList(); }

    @Override public Tensor apply(Vars v, Tensor x) { return x.add(inner.apply(v.child("inner"), x)); }

    @Override public String describe() { return "Residual(" + inner.describe() + ")"; }
}
