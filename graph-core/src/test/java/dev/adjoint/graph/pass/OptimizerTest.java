package dev.adjoint.graph.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.testing.RandomGraphs;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Transpose;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every rewrite keeps every output's value: optimized == original. */
class OptimizerTest {

    private static List<NdArray> runOptimized(Rewritten r, Map<Tensor, NdArray> feeds) {
        Map<Tensor, NdArray> mapped = new HashMap<>();
        feeds.forEach((t, v) -> { if (r.inputs().containsKey(t)) mapped.put(r.inputs().get(t), v); });
        return Interpreter.run(r.graph(), mapped, r.outputs());
    }

    @Test void randomGraphsKeepTheirValues() {
        int shrunk = 0;
        for (long seed = 0; seed < 300; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(seed, 25);
            List<NdArray> expected = Interpreter.run(c.graph(), c.feeds(), c.outputs());
            Rewritten r = Optimizer.optimize(c.outputs());
            List<NdArray> actual = runOptimized(r, c.feeds());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).shape(), actual.get(i).shape(), "seed " + seed);
                double[] e = expected.get(i).data(), a = actual.get(i).data();
                for (int j = 0; j < e.length; j++) {
                    // Exact up to the sign of zero (x + 0 -> x) and reassociation-free rewrites.
                    assertEquals(e[j], a[j], 1e-12 * (1 + Math.abs(e[j])), "seed " + seed + " output " + i + " element " + j);
                }
            }
            if (r.graph().size() < c.graph().size()) shrunk++;
        }
        assertTrue(shrunk > 250, "the optimizer should shrink most random graphs, shrank " + shrunk);
    }

    @Test void identitiesDisappear() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3);
        Tensor y = x.mul(1.0).add(0.0).div(1.0).sub(0.0).neg().neg().transpose(1, 0).transpose(1, 0).reshape(3, 2).reshape(2, 3)
                .stopGradient();
        Rewritten r = Optimizer.optimize(List.of(y));
        assertEquals(1, r.graph().size(), r.graph().toString());
        assertInstanceOf(Input.class, r.outputs().get(0).op());
    }

    @Test void commonSubexpressionsAreShared() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4);
        Tensor y = x.exp().add(x.exp()).add(x.exp());
        Rewritten r = Optimizer.optimize(List.of(y));
        // x, exp, add, add.
        assertEquals(4, r.graph().size(), r.graph().toString());
    }

    @Test void smallConstantSubgraphsFold() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor c = g.constant(Shape.of(3), 1, 2, 3).exp().mul(g.constant(Shape.of(3), 2, 2, 2));
        Rewritten r = Optimizer.optimize(List.of(x.add(c)));
        assertEquals(3, r.graph().size(), r.graph().toString());
        Tensor folded = r.graph().tensor(r.outputs().get(0).node().inputs().get(1));
        assertInstanceOf(Constant.class, folded.op());
        assertEquals(2 * Math.exp(2), ((Constant) folded.op()).value(1), 0);
    }

    @Test void transposesFoldIntoDotGeneral() {
        Graph g = new Graph();
        Tensor x = g.input("x", 5, 3), w = g.input("w", 4, 3);
        Tensor y = x.matmul(w.mT());  // x @ w^T: the transpose becomes a contracting-axis choice
        Rewritten r = Optimizer.optimize(List.of(y));
        assertTrue(r.graph().nodes().stream().noneMatch(n -> n.op() instanceof Transpose), r.graph().toString());
        DotGeneral d = (DotGeneral) r.outputs().get(0).op();
        assertEquals(1, d.rhsContract().get(0));
        SplittableRandom rnd = new SplittableRandom(1);
        Map<Tensor, NdArray> feeds = Map.of(x, RandomGraphs.random(rnd, x.shape()), w, RandomGraphs.random(rnd, w.shape()));
        assertEquals(Interpreter.run(g, feeds, y), runOptimized(r, feeds).get(0));
    }

    @Test void aTransposedProductBecomesTheProductOfSwappedOperands() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 4, 3), w = g.input("w", 2, 3, 5);
        Tensor plain = x.matmul(w).mT();                                      // batched: batch axis stays first
        Tensor flat = x.reshape(8, 3).matmul(w.slice(new int[] {0, 0, 0}, new int[] {1, 3, 5}).reshape(3, 5)).transpose(1, 0);
        Rewritten r = Optimizer.optimize(List.of(plain, flat));
        assertTrue(r.graph().nodes().stream().noneMatch(n -> n.op() instanceof Transpose), r.graph().toString());
        SplittableRandom rnd = new SplittableRandom(2);
        Map<Tensor, NdArray> feeds = Map.of(x, RandomGraphs.random(rnd, x.shape()), w, RandomGraphs.random(rnd, w.shape()));
        assertEquals(Interpreter.run(g, feeds, List.of(plain, flat)), runOptimized(r, feeds));
    }

    @Test void deadCodeIsDroppedAndUnusedInputsAreNotMapped() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2), unused = g.input("u", 2);
        unused.exp();
        Tensor y = x.log();
        Rewritten r = Optimizer.eliminateDeadCode(List.of(y));
        assertEquals(2, r.graph().size());
        assertTrue(r.inputs().containsKey(x));
        assertTrue(!r.inputs().containsKey(unused));
    }
}
