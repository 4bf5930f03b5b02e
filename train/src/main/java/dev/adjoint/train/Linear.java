package dev.adjoint.train;

import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A fully connected layer {@code y = x W^T + b} with PyTorch's layout: {@code weight [out, in]},
 * {@code bias [out]}, so a {@code torch.nn.Linear} state dict loads unchanged. The transposed
 * weight costs nothing: the GEMM reads it through strides. Both start with PyTorch's default
 * (uniform in +-1/sqrt(in)).
 *
 * @param in input features (the last axis of x)
 * @param out output features
 * @param bias whether there is a bias
 * @param weightInit the weight's initialiser
 */
public record Linear(int in, int out, boolean bias, Init weightInit) implements Layer {
    /** Checks the sizes. */
    public Linear {
        if (in < 1 || out < 1) throw new IllegalArgumentException("Linear needs in, out >= 1, got " + in + ", " + out);
    }

    /** {@code Linear(in, out)} with a bias and PyTorch's initialisation. */
    public static Linear of(int in, int out) { return new Linear(in, out, true, Init.torchDefault()); }

    /** The same layer without a bias. */
    public Linear withoutBias() { return new Linear(in, out, false, weightInit); }

    /** The same layer with another weight initialiser (e.g. {@link Init#kaimingUniform}). */
    public Linear withInit(Init init) { return new Linear(in, out, bias, init); }

    @Override public List<ParamSpec> variables() {
        List<ParamSpec> p = new ArrayList<>();
        p.add(ParamSpec.param("weight", Shape.of(out, in), weightInit, in, out));
        if (bias) p.add(ParamSpec.param("bias", Shape.of(out), Init.torchDefault(), in, out));
        return p;
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException(describe() + ": the last axis of the input must be " + in + "; x: " + x.shape());
        }
        Tensor y = x.matmul(v.get("weight").mT());
        return bias ? y.add(v.get("bias")) : y;
    }

    @Override public String describe() { return "Linear(" + in + ", " + out + (bias ? "" : ", bias=False") + ")"; }
}
