package dev.adjoint.graph.testing;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Graphs built from a "recipe", a list of small non-negative integers, for property tests that
 * shrink: each integer appends one op to a pool of values (its low digits pick the op, the rest
 * pick the operands), so a property runner that shrinks the list (fewer entries, smaller
 * entries; {@link RecipeProperty}) shrinks the graph to a minimal one that still fails. Every recipe builds a valid graph
 * over two inputs {@code x, y} of shape [2, 3]; values stay in safe domains (log and sqrt of
 * positive arguments, division by values >= 1, exp of bounded ones).
 */
public final class RecipeGraphs {
    private RecipeGraphs() {}

    /** Number of distinct ops a recipe entry can pick. */
    public static final int OPS = 18;

    /**
     * A built recipe.
     *
     * @param graph the graph
     * @param feeds values of {@code x} and {@code y}
     * @param outputs the last value and one from the middle of the pool
     * @param description one line per op, for a shrunk counterexample
     */
    public record Built(Graph graph, Map<Tensor, NdArray> feeds, List<Tensor> outputs, String description) {}

    /** Builds the graph of {@code recipe} (as {@link #build(List)}). */
    public static Built build(int[] recipe) {
        List<Integer> r = new ArrayList<>(recipe.length);
        for (int c : recipe) r.add(c);
        return build(r);
    }

    /** Builds the graph of {@code recipe}; entries are taken modulo what they index. */
    public static Built build(List<Integer> recipe) {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3), y = g.input("y", 2, 3);
        List<Tensor> pool = new ArrayList<>(List.of(x, y));
        StringBuilder d = new StringBuilder("x, y: [2, 3]\n");
        for (int code : recipe) {
            int c = Math.abs(code);
            int op = c % OPS, a = (c / OPS) % pool.size(), b = (c / OPS / pool.size()) % pool.size();
            Tensor u = pool.get(a), v = pool.get(b);
            Tensor r = switch (op) {
                case 0 -> u.add(v);
                case 1 -> u.sub(v);
                case 2 -> u.mul(v);
                case 3 -> u.div(v.abs().add(1.0));
                case 4 -> u.max(v);
                case 5 -> u.min(v);
                case 6 -> u.tanh();
                case 7 -> u.neg();
                case 8 -> u.tanh().exp();
                case 9 -> u.abs().add(1.0).log();
                case 10 -> u.abs().sqrt();
                case 11 -> u.sigmoid();
                case 12 -> Tensor.where(u.gt(v), u, v.mul(0.5));
                case 13 -> u.sum(new int[] {1}, true).add(v);       // reduce, then broadcast back
                case 14 -> u.reduceMax(new int[] {0}, true).mul(v);
                case 15 -> u.transpose(1, 0).transpose(1, 0).add(u.mul(1.0)); // redundancy for the optimizer
                case 16 -> Nn.softmax(u, 1);
                default -> u.matmul(v.transpose(1, 0)).matmul(u).mul(0.1); // [2,2] x [2,3]
            };
            d.append('%').append(pool.size()).append(" = op ").append(op).append("(%").append(a).append(", %").append(b).append(")\n");
            pool.add(r);
        }
        double[] xv = new double[6], yv = new double[6];
        for (int i = 0; i < 6; i++) {
            xv[i] = (float) (0.37 * i - 0.9);
            yv[i] = (float) (0.8 - 0.29 * i);
        }
        Map<Tensor, NdArray> feeds = new LinkedHashMap<>();
        feeds.put(x, NdArray.of(Shape.of(2, 3), xv));
        feeds.put(y, NdArray.of(Shape.of(2, 3), yv));
        List<Tensor> outputs = List.of(pool.get(pool.size() - 1), pool.get(pool.size() / 2));
        return new Built(g, feeds, outputs, d.toString());
    }
}
