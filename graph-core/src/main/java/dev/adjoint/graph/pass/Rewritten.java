package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;

/**
 * The result of a graph pass: a new graph computing the same outputs.
 *
 * @param graph the new graph
 * @param outputs the new outputs, in the order of the originals
 * @param inputs for each input of the original graph that the outputs still depend on, its
 *     counterpart in the new graph (feed values through this map)
 */
public record Rewritten(Graph graph, List<Tensor> outputs, Map<Tensor, Tensor> inputs) {
    /** The counterpart of an original input; throws if the outputs no longer depend on it. */
    public Tensor input(Tensor original) {
        Tensor t = inputs.get(original);
        if (t == null) throw new IllegalArgumentException("the optimized graph does not read input " + original);
        return t;
    }
}
