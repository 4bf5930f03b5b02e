package dev.adjoint.graph.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import dev.adjoint.graph.testing.RandomGraphs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Every pass and pipeline keeps every output's value (optimized == original) on random graphs
 * and on the Nn composites, with the verifier (structure and numerics) after every pass.
 */
class PassesTest {
    private static final List<Pipeline> EACH = new ArrayList<>();

    static {
        for (Pass p : Passes.ALL) EACH.add(Pipeline.of(p.name(), p));
        EACH.add(Pipeline.O2);
        EACH.add(Pipeline.O2.then(Passes.rematerialize(0)));
    }

    private static List<NdArray> runRewritten(Rewritten r, Map<Tensor, NdArray> feeds) {
        Map<Tensor, NdArray> mapped = new HashMap<>();
        feeds.forEach((t, v) -> { if (r.inputs().containsKey(t)) mapped.put(r.inputs().get(t), v); });
        return Interpreter.run(r.graph(), mapped, r.outputs());
    }

    private static void assertSameValues(List<NdArray> e, List<NdArray> a, double tol, String what) {
        for (int i = 0; i < e.size(); i++) {
            assertEquals(e.get(i).shape(), a.get(i).shape(), what);
            for (int j = 0; j < e.get(i).data().length; j++) {
                double x = e.get(i).data()[j], y = a.get(i).data()[j];
                if (Double.isNaN(x) && Double.isNaN(y)) continue;
                assertEquals(x, y, tol * (1 + Math.abs(x)), what + " output " + i + " element " + j);
            }
        }
    }

    @Test void everyPassKeepsRandomGraphsValues() {
        int o2Shrunk = 0;
        for (long seed = 0; seed < 300; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(seed, 25);
            List<NdArray> expected = Interpreter.run(c.graph(), c.feeds(), c.outputs());
            for (Pipeline p : EACH) {
                Pipeline.Result r = p.run(c.outputs(), Pipeline.Options.checked().withReport(false));
                assertSameValues(expected, runRewritten(r.rewritten(), c.feeds()), 1e-9, "seed " + seed + " pipeline " + p.name());
            }
            Rewritten o2 = Pipeline.O2.apply(c.outputs()), o1 = Optimizer.optimize(c.outputs());
            assertTrue(Cost.flops(o2.outputs()) <= Cost.flops(o1.outputs()), "seed " + seed + ": O2 costs more FLOPs than O1");
            if (o2.graph().size() <= o1.graph().size()) o2Shrunk++;
        }
        // Sinking a transpose read twice copies it, so O2 may keep a node more than O1 now and then.
        assertTrue(o2Shrunk > 250, "O2 should be no larger than O1 almost always: " + o2Shrunk);
    }

    /** The composites of Nn, built with random-valued constant parameters where inference graphs have them. */
    private static List<Supplier<List<Tensor>>> composites() {
        SplittableRandom rnd = new SplittableRandom(7);
        List<Supplier<List<Tensor>>> all = new ArrayList<>();
        all.add(() -> {
            Graph g = new Graph();
            Tensor x = g.input("x", 2, 3, 4);
            return List.of(Nn.layerNorm(x, g.input("w", 4), g.input("b", 4), 1, 1e-5), Nn.rmsNorm(x, g.input("r", 4), 1e-6),
                    Nn.groupNorm(g.input("y", 2, 4, 3), 2, null, null, 1e-5, 1));
        });
        all.add(() -> {
            Graph g = new Graph();
            Tensor x = g.input("x", 4, 3, 2, 2);
            return List.of(Nn.batchNorm(x, g.input("w", 3), g.input("b", 3), 1e-5, 1));
        });
        all.add(() -> {
            Graph g = new Graph();
            Tensor q = g.input("q", 2, 3, 4), k = g.input("k", 2, 5, 4), v = g.input("v", 2, 5, 4);
            Tensor x = g.input("x", 2, 3, 8);
            return List.of(Nn.scaledDotProductAttention(q, k, v, false, 0.5),
                    Nn.multiHeadAttention(x, g.input("wq", 8, 8), g.input("wk", 8, 8), g.input("wv", 8, 8), g.input("wo", 8, 8), 2, true));
        });
        all.add(() -> convNet(rnd, false));
        all.add(() -> convNet(rnd, true));
        all.add(() -> {
            Graph g = new Graph();
            Tensor x = g.input("x", 5, 6);
            Tensor h = Nn.linear(x, constant(g, rnd, 6, 4), constant(g, rnd, 4));
            Tensor bn = Nn.batchNormInference(h, constant(g, rnd, 4), positive(g, rnd, 4), constant(g, rnd, 4), constant(g, rnd, 4), 1e-5, 1);
            return List.of(Nn.softmax(bn.relu(), 1));
        });
        return all;
    }

    static Tensor constant(Graph g, SplittableRandom rnd, int... dims) {
        return g.constant(Shape.of(dims), RandomGraphs.random(rnd, Shape.of(dims)).data());
    }

    static Tensor positive(Graph g, SplittableRandom rnd, int... dims) {
        double[] v = RandomGraphs.random(rnd, Shape.of(dims)).data();
        for (int i = 0; i < v.length; i++) v[i] = 0.5 + Math.abs(v[i]);
        return g.constant(Shape.of(dims), v);
    }

    /** NCHW conv, bias, (batch norm), relu, max pool, conv, avg pool: the helpers' transposes around every op. */
    static List<Tensor> convNet(SplittableRandom rnd, boolean batchNorm) {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3, 8, 8);
        Tensor y = Nn.conv2dNchw(x, constant(g, rnd, 4, 3, 3, 3), constant(g, rnd, 4), new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1}, 1);
        if (batchNorm) y = Nn.batchNormInference(y, constant(g, rnd, 4), positive(g, rnd, 4), constant(g, rnd, 4), constant(g, rnd, 4), 1e-5, 1);
        y = Nn.maxPoolNchw(y.relu(), new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0});
        y = Nn.conv2dNchw(y, constant(g, rnd, 5, 4, 3, 3), new int[] {1, 1}, new int[] {1, 1});
        if (batchNorm) y = Nn.batchNormInference(y, constant(g, rnd, 5), positive(g, rnd, 5), constant(g, rnd, 5), constant(g, rnd, 5), 1e-5, 1);
        return List.of(Nn.avgPoolNchw(y.relu(), new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, true));
    }

    @Test void everyPassKeepsTheCompositesValues() {
        for (Supplier<List<Tensor>> make : composites()) {
            for (Pipeline p : EACH) {
                List<Tensor> outs = make.get();
                Pipeline.Result r = p.run(outs, Pipeline.Options.checked());
                assertEquals(p.passes().size(), r.reports().size());
                // and on a second set of inputs, independent of the verifier's
                Graph g = outs.get(0).graph();
                Map<Tensor, NdArray> feeds = new HashMap<>();
                SplittableRandom rnd = new SplittableRandom(3);
                for (Tensor in : g.inputs()) feeds.put(in, RandomGraphs.random(rnd, in.shape()));
                assertSameValues(Interpreter.run(g, feeds, outs), runRewritten(r.rewritten(), feeds), 1e-9, p.name());
            }
        }
    }

    /** Whether some conv reads, through non-conv nodes, a transpose of another conv's result. */
    private static boolean transposeBetweenConvs(Graph g) {
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Conv)) continue;
            List<Integer> work = new ArrayList<>(List.of(n.inputs().get(0)));
            boolean sawTranspose = false;
            while (!work.isEmpty()) {
                Node u = g.node(work.remove(work.size() - 1));
                if (u.op() instanceof Conv) {
                    if (sawTranspose) return true;
                    continue;
                }
                if (u.op() instanceof Transpose) sawTranspose = true;
                for (int k = 0; k < u.inputs().size(); k++) work.add(u.inputs().get(k));
            }
        }
        return false;
    }

    @Test void layoutLeavesNoTransposeBetweenConvs() {
        List<Tensor> net = convNet(new SplittableRandom(1), false);
        assertTrue(transposeBetweenConvs(Optimizer.optimize(net).graph()), "the NCHW helpers put transposes between the convs");
        Rewritten r = Pipeline.O2.run(net, Pipeline.Options.checked()).rewritten();
        assertFalse(transposeBetweenConvs(r.graph()), r.graph().toString());
    }

    @Test void batchNormFoldsIntoTheConv() {
        List<Tensor> net = convNet(new SplittableRandom(2), true);
        Pipeline.Result r = Pipeline.O2.run(net, Pipeline.Options.checked());
        Graph g = r.rewritten().graph();
        assertTrue(g.nodes().stream().noneMatch(n -> n.op() instanceof Unary u && u.fn() == UnaryFn.RSQRT), g.toString());
        List<Tensor> plain = convNet(new SplittableRandom(2), false);
        // The folded net is the plain net with other constants, plus a bias add (constant, broadcast, add) after the second conv.
        assertEquals(Pipeline.O2.apply(plain).graph().size() + 3, g.size(), g.toString());
    }

    @Test void aBrokenPassIsNamedWithTheFirstDifferingNode() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor y = x.exp().mul(2.0).tanh();
        Pass broken = RuleSet.of("exp-to-log", "a wrong rule", List.of(
                Rule.of("exp-is-log", Pattern.op(Unary.class, u -> u.fn() == UnaryFn.EXP), m -> m.operand(0).abs().add(1.0).log()))).asPass();
        VerificationException e = assertThrows(VerificationException.class,
                () -> Pipeline.of("p", Passes.CSE, broken).run(List.of(y), Pipeline.Options.checked()));
        assertTrue(e.getMessage().startsWith("pass exp-to-log changed output 0"), e.getMessage());
        assertTrue(e.getMessage().contains("first differing node: %") && e.getMessage().contains("log"), e.getMessage());
    }

    @Test void aPassChangingAnOutputTypeFailsTheStructuralCheck() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Pass sums = Pass.of("sums", "wrong", outs -> {
            Graph h = new Graph();
            Tensor nx = h.input("x", 3);
            return new Rewritten(h, List.of(nx.sum()), Map.of(x, nx));
        });
        VerificationException e = assertThrows(VerificationException.class,
                () -> Pipeline.of("p", sums).run(List.of(x.exp()), Pipeline.Options.checked()));
        assertTrue(e.getMessage().contains("pass sums output 0 changed from f32[3]"), e.getMessage());
    }

    @Test void reportsCountNodesFlopsAndBytes() {
        Graph g = new Graph();
        Tensor x = g.input("x", 8, 16), w = g.input("w", 16, 4);
        Tensor y = x.matmul(w).mul(1.0).add(x.matmul(w)).tanh();
        Pipeline.Result r = Pipeline.O1.run(List.of(y), Pipeline.Options.checked());
        PassReport p = r.reports().get(0);
        assertEquals("simplify", p.pass());
        assertEquals(9, p.nodesBefore()); // x, w, dot, constant, broadcast, mul, dot, add, tanh
        assertEquals(5, p.nodesAfter()); // x, w, dot, add, tanh
        assertEquals(2L * 2 * 8 * 4 * 16 + 3 * 32, p.flopsBefore());
        assertEquals(2L * 8 * 4 * 16 + 2 * 32, p.flopsAfter());
        assertTrue(p.peakBytesAfter() < p.peakBytesBefore(), p.toString());
        assertTrue(PassReport.table(r.reports()).contains("simplify"));
    }

    @Test void dumpAfterReceivesTheNamedPass() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2);
        List<String> seen = new ArrayList<>();
        Pipeline.O2.run(List.of(x.neg().neg().exp()), Pipeline.Options.fast().withDumpAfter(java.util.Set.of("layout"),
                (name, r) -> seen.add(name + ":" + r.graph().size())));
        assertEquals(List.of("layout:2"), seen);
        assertThrows(IllegalArgumentException.class, () -> Pipeline.O1.run(List.of(x), Pipeline.Options.fast()
                .withDumpAfter(java.util.Set.of("nope"), (n, r) -> {})));
    }

    @Test void pipelinesAreAssembled() {
        assertEquals(List.of("simplify", "gradient", "activation-masks", "fold-batch-norm", "simplify"), Pipeline.O2.without("layout").names());
        assertEquals(List.of("simplify", "cse"), Pipeline.O1.insertAfter("simplify", Passes.CSE).names());
        assertEquals(Pipeline.O2, Pipeline.named("o2"));
        assertThrows(IllegalArgumentException.class, () -> Pipeline.O1.without("layout"));
    }

    @Test void rematerializationLowersTheLivenessPeak() {
        // forward: h_i = tanh(x * i) kept for a "backward" that reads them in reverse order at the end
        Graph g = new Graph();
        Tensor x = g.input("x", 64, 64);
        List<Tensor> hs = new ArrayList<>();
        Tensor acc = x;
        for (int i = 1; i <= 6; i++) {
            Tensor h = x.mul((double) i).tanh();
            hs.add(h);
            acc = acc.matmul(h);
        }
        Tensor back = acc;
        for (int i = hs.size() - 1; i >= 0; i--) back = back.mul(hs.get(i)).matmul(x);
        List<Tensor> outs = List.of(back);
        long before = Cost.peakBytes(Optimizer.optimize(outs).outputs());
        Pipeline p = Pipeline.O1.then(Passes.rematerialize(before / 2));
        Pipeline.Result r = p.run(outs, Pipeline.Options.checked());
        long after = Cost.peakBytes(r.rewritten().outputs());
        assertTrue(after <= before / 2, before + " -> " + after + " " + r.reports());
        assertTrue(r.rewritten().graph().size() > Optimizer.optimize(outs).graph().size(), "values are recomputed");
    }

    @Test void aBudgetOutOfReachIsAWarning() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4);
        Pipeline.Result r = Pipeline.O1.then(Passes.rematerialize(1)).run(List.of(x.exp().matmul(x)), Pipeline.Options.checked());
        assertEquals(1, r.reports().get(1).warnings().size(), r.reports().toString());
        assertTrue(r.reports().get(1).warnings().get(0).startsWith("remat: budget 1 B not reached"));
    }
}
