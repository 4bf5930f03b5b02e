package dev.adjoint.graph.testing;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;
import dev.adjoint.graph.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates random well-formed graphs over small shapes for property tests: elementwise ops with
 * broadcasting, reductions, contractions, movement ops and constants, with deliberate redundancy
 * (repeated subexpressions, multiplications by one, double transposes) for the optimizer to find.
 * Values stay in safe domains (log and sqrt see positive arguments, division by values >= 1).
 */
public final class RandomGraphs {
    /** A generated graph: its inputs with values, and its outputs. */
    /**
     * A generated graph.
     *
     * @param graph the graph
     * @param feeds a value for every input
     * @param outputs the tensors to evaluate
     */
    public record Case(Graph graph, Map<Tensor, NdArray> feeds, List<Tensor> outputs) {}

    private RandomGraphs() {}

    /** A random graph of about {@code steps} builder calls. */
    public static Case generate(long seed, int steps) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Graph g = new Graph();
        Map<Tensor, NdArray> feeds = new HashMap<>();
        List<Tensor> pool = new ArrayList<>();
        int[][] shapes = {{3, 4}, {4}, {3, 1}, {2, 3, 4}, {}};
        for (int i = 0; i < 3; i++) {
            int[] dims = shapes[rnd.nextInt(shapes.length)];
            Tensor x = g.input("x" + i, dims);
            feeds.put(x, random(rnd, Shape.of(dims)));
            pool.add(x);
        }
        for (int s = 0; s < steps; s++) {
            Tensor a = pool.get(rnd.nextInt(pool.size()));
            Tensor b = pool.get(rnd.nextInt(pool.size()));
            Tensor t;
            try {
                t = switch (rnd.nextInt(16)) {
                    case 0 -> a.add(b);
                    case 1 -> a.mul(b);
                    case 2 -> a.sub(b).tanh();
                    case 3 -> a.div(b.abs().add(1.0));
                    case 4 -> a.abs().add(0.5).log();
                    case 5 -> a.abs().sqrt();
                    case 6 -> a.rank() > 0 ? a.sum(rnd.nextInt(a.rank())) : a.exp().min(3.0);
                    case 7 -> a.rank() > 0 ? a.reduceMax(a.rank() - 1) : a.neg().neg();
                    case 8 -> a.rank() >= 2 ? a.mT().mT().mul(1.0) : a.sigmoid();
                    case 9 -> a.rank() == 2 && b.rank() == 2 ? a.matmul(b.mT()) : a.max(b);
                    case 10 -> a.rank() >= 1 ? a.rev(0).add(0.0) : a.mul(a);
                    case 11 -> a.rank() >= 1 ? a.pad(ints(a.rank(), 1), ints(a.rank(), 0), ints(a.rank(), 1)) : a;
                    case 12 -> a.rank() >= 1 && a.dim(0) > 1 ? a.stride(strides(a.rank(), 2)) : a.sign();
                    case 13 -> a.gt(b).select(a, b.mul(2.0));
                    case 14 -> a.rank() >= 1 ? Tensor.concatenate(0, a, a.neg()) : a.add(g.constant(2).mul(3.0));
                    default -> a.reshape(a.shape().size()).mul(g.constant(1.0));
                };
            } catch (ShapeException e) {
                continue; // e.g. shapes that do not broadcast: skip this step
            }
            if (t.shape().size() <= 256) pool.add(t);
        }
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < 3; i++) outs.add(pool.get(pool.size() - 1 - rnd.nextInt(Math.min(pool.size(), 6))));
        return new Case(g, feeds, outs);
    }

    private static int[] ints(int n, int v) { return Ints.filled(n, v).toArray(); }

    private static int[] strides(int n, int first) {
        int[] s = ints(n, 1);
        s[0] = first;
        return s;
    }

    /** Uniform values in [-1, 1). */
    public static NdArray random(SplittableRandom rnd, Shape shape) {
        double[] v = new double[shape.size()];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble(-1, 1);
        return NdArray.of(shape, v);
    }
}
