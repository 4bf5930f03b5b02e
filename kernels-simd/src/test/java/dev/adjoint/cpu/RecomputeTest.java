package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.testing.RandomGraphs;
import dev.adjoint.graph.testing.RecipeGraphs;
import dev.adjoint.kernels.WorkSplitter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Rematerialization in the buffer planner ({@link Recompute}): budget plans compute bitwise what the default plan computes. */
class RecomputeTest {

    /** A forward-and-backward-like graph: a cheap activation kept across six GEMMs for a late reader. */
    static List<Tensor> lateReader(Graph g) {
        Tensor x = g.input("x", 64, 64), w = g.input("w", 64, 64);
        Tensor e = x.mul(2.0).tanh().add(x.exp().mul(0.1));
        Tensor m = x;
        for (int i = 0; i < 6; i++) m = m.matmul(w).tanh();
        // Two readers, so the executor materializes e rather than fusing it into one.
        return List.of(m.add(e).sum(1), m.mul(e).mean());
    }

    private static Map<Tensor, Object> feeds(List<Tensor> inputs, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Tensor, Object> f = new HashMap<>();
        for (Tensor t : inputs) {
            double[] v = new double[t.shape().size()];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble(-1, 1);
            f.put(t, Oracle.feed(t.dtype(), v));
        }
        return f;
    }

    private static final Pattern ASK = Pattern.compile("ask for at least (\\d+) B");

    /** Compiles under {@code budget}; if it is out of reach, checks the message and compiles at the peak it names. */
    static Plan underBudget(List<Tensor> outs, CompileOptions o, long budget) {
        try {
            return Cpu.compile(outs, o.withMemoryBudget(budget));
        } catch (IllegalArgumentException e) {
            Matcher m = ASK.matcher(e.getMessage());
            assertTrue(e.getMessage().startsWith("memory budget " + budget + " B is out of reach") && m.find(), e.getMessage());
            long best = Long.parseLong(m.group(1));
            assertTrue(best > budget, e.getMessage());
            Plan p = Cpu.compile(outs, o.withMemoryBudget(best));
            assertTrue(p.plannedPeakBytes() <= best, p.memoryReport().toString());
            return p;
        }
    }

    /** Runs both plans on the same feeds and compares every output bitwise. */
    static void assertSameOutputs(Plan base, Plan budget, Map<Tensor, ?> feeds, String what) {
        base.run(feeds);
        budget.run(feeds);
        for (int i = 0; i < base.outputs().size(); i++) {
            assertArrayEquals(base.outputAsDoubles(i), budget.outputAsDoubles(i), what + " output " + i + "\n" + budget.memoryReport());
        }
    }

    @Test void aLateReadersActivationIsRecomputedAndTheResultIsBitwiseTheSame() {
        Graph g = new Graph();
        List<Tensor> outs = lateReader(g);
        CompileOptions o = CompileOptions.defaults();
        Plan base = Cpu.compile(outs, o);
        Plan small = underBudget(outs, o, base.plannedPeakBytes() * 3 / 4);
        MemoryReport r = small.memoryReport();
        assertTrue(r.plannedPeakBytes() < base.plannedPeakBytes(), r.toString());
        assertEquals(base.plannedPeakBytes(), r.defaultPeakBytes(), r.toString());
        assertEquals(r.plannedPeakBytes(), r.constantBytes() + r.outputBytes() + r.scratchBytes() + r.workspaceBytes(), r.toString());
        for (int run = 0; run < 3; run++) assertSameOutputs(base, small, feeds(small.inputs(), run), "late reader run " + run);
        // A copy re-plans the same way and computes the same.
        assertSameOutputs(base, small.copy(), feeds(small.inputs(), 9), "copy");
        assertTrue(base.recomputed().isEmpty());
    }

    @Test void recomputationRunsTheStepAgainWhenPackingAloneIsNotEnough() {
        Graph g = new Graph();
        List<Tensor> outs = lateReader(g);
        CompileOptions o = CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL);
        Plan base = Cpu.compile(outs, o);
        long packed = Cpu.compile(outs, o.withMemoryBudget(base.plannedPeakBytes())).memoryReport().packedPeakBytes();
        Plan p = underBudget(outs, o, packed - 1);
        assertFalse(p.recomputed().isEmpty(), p.memoryReport().toString());
        assertTrue(p.plannedPeakBytes() < packed, p.memoryReport().toString());
        assertTrue(p.stepCount() > base.stepCount());
        assertTrue(p.describe().lines().count() > base.describe().lines().count());
        assertSameOutputs(base, p, feeds(p.inputs(), 3), "recomputed");
    }

    @Test void aBudgetOutOfReachNamesTheBestPeakInsteadOfFailingInside() {
        Graph g = new Graph();
        List<Tensor> outs = lateReader(g);
        var e = assertThrows(IllegalArgumentException.class, () -> Cpu.compile(outs, CompileOptions.defaults().withMemoryBudget(1000)));
        assertTrue(e.getMessage().contains("memory budget 1000 B is out of reach") && e.getMessage().contains("ask for at least"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CompileOptions.defaults().withMemoryBudget(-1));
    }

    @Test void randomGraphsUnderABudgetEqualTheDefaultPlanBitwise() {
        for (long seed = 0; seed < 120; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(seed, 14);
            check(c.outputs(), c.feeds(), "RandomGraphs seed " + seed, seed % 2 == 0 ? WorkSplitter.SERIAL : Cpu.defaultPool());
        }
    }

    @Test void recipeGraphsUnderABudgetEqualTheDefaultPlanBitwise() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int t = 0; t < 120; t++) {
            int[] recipe = new int[2 + rnd.nextInt(12)];
            for (int i = 0; i < recipe.length; i++) recipe[i] = rnd.nextInt(4000);
            RecipeGraphs.Built b = RecipeGraphs.build(recipe);
            check(b.outputs(), b.feeds(), "recipe " + java.util.Arrays.toString(recipe), WorkSplitter.SERIAL);
        }
    }

    private static void check(List<Tensor> outs, Map<Tensor, NdArray> nd, String what, WorkSplitter splitter) {
        CompileOptions o = CompileOptions.defaults().withSplitter(splitter);
        Plan base;
        try {
            base = Cpu.compile(outs, o);
        } catch (RuntimeException e) {
            return; // graphs the executor refuses are the executor tests' business
        }
        Plan small = underBudget(outs, o, Math.max(1, base.plannedPeakBytes() / 2));
        Map<Tensor, Object> feeds = new HashMap<>();
        for (Tensor in : base.inputs()) feeds.put(in, Oracle.feed(in.dtype(), nd.get(in).data()));
        assertSameOrBothFail(base, small, feeds, what);
    }

    private static void assertSameOrBothFail(Plan base, Plan small, Map<Tensor, Object> feeds, String what) {
        RuntimeException a = null, b = null;
        try { base.run(feeds); } catch (RuntimeException e) { a = e; }
        try { small.run(feeds); } catch (RuntimeException e) { b = e; }
        assertEquals(a == null, b == null, what + ": " + a + " / " + b);
        if (a != null) return;
        for (int i = 0; i < base.outputs().size(); i++) {
            assertArrayEquals(base.outputAsDoubles(i), small.outputAsDoubles(i), what + " output " + i + "\n" + small.memoryReport());
        }
    }
}
