package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * Layer normalisation over the last axes (PyTorch {@code LayerNorm(normalized_shape)}), with
 * {@code weight} and {@code bias} of that shape.
 *
 * @param shape the normalised trailing shape
 * @param eps added to the variance
 */
public record LayerNorm(Shape shape, double eps) implements Layer {
    /** {@code LayerNorm(dims)} with eps 1e-5. */
    public static LayerNorm of(int... dims) { return new LayerNorm(Shape.of(dims), 1e-5); }

    @Override public List<ParamSpec> variables() {
        return List.of(ParamSpec.param("weight", shape, Init.constant(1), 0, 0), ParamSpec.param("bias", shape, Init.zeros(), 0, 0));
    }

    @Override public Tensor apply(Vars v, Tensor x) { return Nn.layerNorm(x, v.get("weight"), v.get("bias"), shape.rank(), eps); }

    @Override public String describe() { return "LayerNorm(" + shape + ")"; }
}
