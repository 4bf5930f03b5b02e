package dev.adjoint.autodiff;

import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * Forward and reverse mode as graph-to-graph transformations: every method appends derivative
 * nodes to the graph its arguments belong to and returns handles on them.
 */
public final class Autodiff {
    private Autodiff() {}

    /**
     * Forward mode: the directional derivatives of {@code outputs} along {@code tangents} (one per
     * input, same shape; a tensor of the same graph), i.e. {@code sum_k J_k t_k} per output.
     */
    public static List<Tensor> jvp(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> tangents) {
        throw new UnsupportedOperationException("in progress");
    }

    /**
     * Reverse mode: the cotangent of each of {@code wrt}, given {@code cotangents} (one per output,
     * same shape), i.e. {@code sum_j ct_j^T J_j} per wrt tensor. A wrt tensor the outputs do not
     * depend on gets zeros.
     */
    public static List<Tensor> vjp(List<Tensor> outputs, List<Tensor> cotangents, List<Tensor> wrt) {
        throw new UnsupportedOperationException("in progress");
    }

    /** The gradient of a scalar {@code loss} with respect to each of {@code wrt}. */
    public static List<Tensor> grad(Tensor loss, List<Tensor> wrt) {
        throw new UnsupportedOperationException("in progress");
    }
}
