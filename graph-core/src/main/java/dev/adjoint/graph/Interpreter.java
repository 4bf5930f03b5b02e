package dev.adjoint.graph;

import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: evaluates a graph in float64 with plain loops. Deliberately simple
 * and obviously correct, it is the oracle for every kernel and every optimization.
 */
public final class Interpreter {
    private Interpreter() {}

    /**
     * Evaluates {@code outputs}, computing only the nodes they depend on.
     *
     * @param feeds a value for every input node the outputs depend on (shapes must match)
     * @throws IllegalArgumentException naming the input if one is missing or has the wrong shape
     */
    public static List<NdArray> run(Graph graph, Map<Tensor, NdArray> feeds, List<Tensor> outputs) {
        throw new UnsupportedOperationException("in progress");
    }

    /** Evaluates one output; see {@link #run(Graph, Map, List)}. */
    public static NdArray run(Graph graph, Map<Tensor, NdArray> feeds, Tensor output) {
        return run(graph, feeds, List.of(output)).get(0);
    }
}
