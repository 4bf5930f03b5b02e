package dev.adjoint.bench;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Cost of building derivative graphs: {@code grad()} of a chain of {@code ops} primitive nodes
 * (matmul, tanh, add, mul cycling over shared parameters, so cotangents also accumulate), timed
 * apart from building the forward graph, which is rebuilt before every invocation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
public class GradBuildBench {
    /** Number of primitive nodes in the forward chain. */
    @Param({"1000", "4000"})
    public int ops;

    private Graph graph;
    private Tensor loss;
    private List<Tensor> params;

    /** Builds a forward chain of {@code ops} primitive nodes ending in a scalar loss. */
    static Object[] chain(int ops) {
        Graph g = new Graph();
        Tensor x = g.input("x", 8, 16), w = g.input("w", 16, 16), b = g.input("b", 8, 16), c = g.input("c", 8, 16);
        Tensor h = x.matmul(g.input("w0", 16, 16));
        for (int i = 1; i < ops - 1; i++) {
            h = switch (i % 4) {
                case 0 -> h.matmul(w);   // one dot_general
                case 1 -> h.tanh();
                case 2 -> h.add(b);      // same shape: no broadcast node
                default -> h.mul(c);
            };
        }
        Tensor loss = h.sum();
        return new Object[] {g, loss, List.of(x, w, b, c)};
    }

    /** A fresh forward graph for every invocation, so that grad() always starts from the same graph. */
    @Setup(Level.Invocation)
    public void setup() {
        Object[] built = chain(ops);
        graph = (Graph) built[0];
        loss = (Tensor) built[1];
        @SuppressWarnings("unchecked") List<Tensor> p = (List<Tensor>) built[2];
        params = p;
    }

    /** Reverse mode alone: linearize the chain and append the transposed nodes. */
    @Benchmark
    public List<Tensor> grad() { return Autodiff.grad(loss, params); }

    /** For scale: building the forward chain (node by node, each capturing the user's call site). */
    @Benchmark
    public Object buildForward() { return chain(ops)[1]; }
}
