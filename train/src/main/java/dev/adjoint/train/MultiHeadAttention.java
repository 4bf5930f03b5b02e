package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * Multi-head self-attention on {@code x [B, T, D]} ({@link Nn#multiHeadAttention}), projections
 * without biases in the {@link Linear} layout {@code [out, in]}: {@code q_proj.weight},
 * {@code k_proj.weight}, {@code v_proj.weight}, {@code out_proj.weight}.
 *
 * @param dim model width D
 * @param heads heads (divides D)
 * @param causal whether step i sees steps j <= i only
 */
public record MultiHeadAttention(int dim, int heads, boolean causal) implements Layer {
    /** Checks the heads. */
    public MultiHeadAttention {
        if (dim < 1 || heads < 1 || dim % heads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention needs heads >= 1 dividing dim, got " + dim + ", " + heads);
        }
    }

    private static final List<String> NAMES = List.of("q_proj.weight", "k_proj.weight", "v_proj.weight", "out_proj.weight");

    @Override public List<ParamSpec> variables() {
        return NAMES.stream().map(n -> ParamSpec.param(n, Shape.of(dim, dim), Init.glorotUniform(), dim, dim)).toList();
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        return Nn.multiHeadAttention(x, v.get(NAMES.get(0)).mT(), v.get(NAMES.get(1)).mT(), v.get(NAMES.get(2)).mT(),
                v.get(NAMES.get(3)).mT(), heads, causal);
    }

    @Override public String describe() { return "MultiHeadAttention(" + dim + ", heads=" + heads + (causal ? ", causal" : "") + ")"; }
}
