package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The step scheduler ({@link StepSchedule}): independent steps run at the same time on two
 * threads; results stay bitwise those of one thread; an array the planner reuses is never
 * overwritten while the other lane still reads it; a failing lane leaves the plan usable.
 */
class StepScheduleTest {

    /**
     * Two independent GEMM branches of one input (outputs, so no array is reused between them: a
     * reused array orders its last reader before its next writer, see the next test).
     */
    static List<Tensor> twoBranches(Graph g, int n) {
        Tensor x = g.input("x", n, n), w1 = g.input("w1", n, n), w2 = g.input("w2", n, n);
        return List.of(x.matmul(w1), x.exp().matmul(w2).relu());
    }

    @Test void independentGemmsRunSideBySideAndMatchOneThreadBitwise() {
        Graph g = new Graph();
        List<Tensor> outs = twoBranches(g, 96);
        try (ThreadPool pool = new ThreadPool(2)) {
            Plan serial = Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
            Plan two = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool));
            assertFalse(serial.scheduleForTest().anyPaired(), "one thread runs every step alone");
            StepSchedule sc = two.scheduleForTest();
            assertTrue(sc.anyPaired(), two.describe());
            // The two GEMMs are in the two lanes of one stage.
            boolean gemmsPaired = false;
            for (int k = 0; k < sc.stages(); k++) {
                if (!sc.paired(k)) continue;
                boolean a = false, b = false;
                for (int p = sc.stageStart[k]; p < sc.laneB[k]; p++) a |= two.stepKernel(sc.order[p]).startsWith("gemm");
                for (int p = sc.laneB[k]; p < sc.stageStart[k + 1]; p++) b |= two.stepKernel(sc.order[p]).startsWith("gemm");
                gemmsPaired |= a && b;
            }
            assertTrue(gemmsPaired, two.describe());
            assertTrue(two.describe().contains("in parallel: steps"), two.describe());
            SplittableRandom r = new SplittableRandom(7);
            for (int rep = 0; rep < 40; rep++) {
                Object[] feeds = feeds(serial, r);
                serial.run(feeds);
                two.run(feeds);
                for (int o = 0; o < outs.size(); o++) assertArrayEquals(serial.output(o), two.output(o), "output " + o + ", run " + rep);
            }
        }
    }

    /**
     * exp(x) is read last by the first GEMM; the second GEMM's result, independent of the first by
     * value, is what a planner working in plan order puts into exp(x)'s array (dead by then in plan
     * order). Planned so (steps one by one, {@code -Dadjoint.parallelSteps=false}), a schedule by
     * values would run the two GEMMs side by side with the second overwriting the first's operand:
     * the array check finds exactly that pair (so it can fail). Planned over the stages decided
     * from the values first, as plans now are, the two GEMMs run side by side, no array is shared
     * between the lanes, the plan's own check unpairs nothing, and 30 runs match one thread bitwise.
     */
    @Test void buffersPlannedAfterTheScheduleDoNotSerializeIndependentSteps() {
        Graph g = new Graph();
        int n = 96;
        Tensor x = g.input("x", n, n), y = g.input("y", n, n), w1 = g.input("w1", n, n), w2 = g.input("w2", n, n);
        Tensor u = x.exp().matmul(w1);
        Tensor c = y.matmul(w2);
        List<Tensor> outs = List.of(u, c.tanh());
        try (ThreadPool pool = new ThreadPool(2)) {
            System.setProperty("adjoint.parallelSteps", "false");
            Plan old;
            try {
                old = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool));
            } finally {
                System.clearProperty("adjoint.parallelSteps");
            }
            Step[] steps = old.stepsForTest();
            int[][] reads = old.readsForTest();
            Object[] buffers = old.buffersForTest();
            int expStep = -1, gemm2 = -1;
            for (int s = 0; s < steps.length; s++) {
                if (old.stepOp(s).startsWith("exp")) expStep = s;
                else if (steps[s] instanceof Steps.MatMul && expStep >= 0 && s > expStep + 1) gemm2 = s;
            }
            assertTrue(expStep >= 0 && gemm2 >= 0, old.describe());
            // Planned in plan order: exp(x)'s array is reused for the second product ...
            assertTrue(buffers[steps[expStep].output()] == buffers[steps[gemm2].output()],
                    "the plan-order planner no longer reuses exp(x)'s array for the second product; rework the test\n" + old.describe());
            // ... so a schedule by values over those arrays races.
            int[] byValue = new int[buffers.length];
            for (int b = 0; b < byValue.length; b++) byValue[b] = b;
            double[] cost = new double[steps.length];
            for (int s = 0; s < steps.length; s++) cost[s] = StepSchedule.cost(steps[s], 1 << 14);
            StepSchedule naive = StepSchedule.of(StepSchedule.dependencies(steps, reads, byValue), cost, 2);
            assertNotNull(naive.conflict(steps, reads, buffers), "a schedule by values pairs the two products");

            Plan two = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool));
            assertTrue(gemmsInBothLanes(two), two.describe());
            assertEquals(0, two.unpairedStagesForTest(), two.describe());
            assertNull(two.scheduleForTest().conflict(two.stepsForTest(), two.readsForTest(), two.buffersForTest()), two.describe());
            Plan serial = Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
            SplittableRandom r = new SplittableRandom(3);
            for (int rep = 0; rep < 30; rep++) {
                Object[] feeds = feeds(serial, r);
                serial.run(feeds);
                two.run(feeds);
                for (int o = 0; o < outs.size(); o++) assertArrayEquals(serial.output(o), two.output(o), "output " + o + ", run " + rep);
            }
        }
    }

    /**
     * The case wave 4 recorded as the limit: with tanh after the first product, the second
     * branch's exp reused the first product's array and nothing paired. Now the products pair.
     */
    @Test void twoBranchesWithATanhAfterTheFirstProductPair() {
        Graph g = new Graph();
        int n = 96;
        Tensor x = g.input("x", n, n), w1 = g.input("w1", n, n), w2 = g.input("w2", n, n);
        List<Tensor> outs = List.of(x.matmul(w1).tanh(), x.exp().matmul(w2).relu());
        try (ThreadPool pool = new ThreadPool(2)) {
            Plan two = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool));
            assertTrue(gemmsInBothLanes(two), two.describe());
            assertEquals(0, two.unpairedStagesForTest(), two.describe());
            Plan serial = Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
            SplittableRandom r = new SplittableRandom(11);
            for (int rep = 0; rep < 20; rep++) {
                Object[] feeds = feeds(serial, r);
                serial.run(feeds);
                two.run(feeds);
                for (int o = 0; o < outs.size(); o++) assertArrayEquals(serial.output(o), two.output(o), "output " + o + ", run " + rep);
            }
        }
    }

    /** Whether some paired stage has a GEMM in each lane. */
    static boolean gemmsInBothLanes(Plan p) {
        StepSchedule sc = p.scheduleForTest();
        for (int k = 0; k < sc.stages(); k++) {
            if (!sc.paired(k)) continue;
            boolean a = false, b = false;
            for (int q = sc.stageStart[k]; q < sc.laneB[k]; q++) a |= p.stepKernel(sc.order[q]).startsWith("gemm");
            for (int q = sc.laneB[k]; q < sc.stageStart[k + 1]; q++) b |= p.stepKernel(sc.order[q]).startsWith("gemm");
            if (a && b) return true;
        }
        return false;
    }

    /** The schedule of every plan here, checked by arrays after binding: a donating plan too. */
    @Test void noStageOfADonatingPlanTouchesAnArrayBothLanesUse() {
        Graph g = new Graph();
        int n = 96;
        Tensor x = g.input("x", n, n), w1 = g.input("w1", n, n), w2 = g.input("w2", n, n);
        // Two "parameters" updated from products that read both: the updates are written into the fed arrays.
        Tensor g1 = x.matmul(w1), g2 = x.matmul(w2);
        List<Tensor> outs = List.of(w1.sub(g1.mul(g.constant(0.01f))), w2.sub(g2.mul(g.constant(0.01f))));
        try (ThreadPool pool = new ThreadPool(2)) {
            Plan two = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool), Map.of(0, w1, 1, w2));
            Plan serial = Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL), Map.of(0, w1, 1, w2));
            assertTrue(two.scheduleForTest().anyPaired(), two.describe());
            SplittableRandom r = new SplittableRandom(5);
            Object[] f1 = feeds(serial, r), f2 = new Object[f1.length];
            for (int i = 0; i < f1.length; i++) f2[i] = ((float[]) f1[i]).clone();
            for (int rep = 0; rep < 20; rep++) {
                serial.run(f1);
                two.run(f2);
                assertNull(two.scheduleForTest().conflict(two.stepsForTest(), two.readsForTest(), two.buffersForTest()), two.describe());
                for (int i = 0; i < f1.length; i++) assertArrayEquals((float[]) f1[i], (float[]) f2[i], "input " + i + " after run " + rep);
            }
        }
    }

    @Test void aLaneThatFailsLeavesThePlanUsable() {
        Graph g = new Graph();
        int n = 96;
        Tensor x = g.input("x", n, n), w = g.input("w", n, n);
        Tensor t = g.input("t", 256, 128), idx = g.input("idx", DType.I32, 256, 128);
        List<Tensor> outs = List.of(x.matmul(w).tanh(), t.takeAlongAxis(idx, 1).exp());
        try (ThreadPool pool = new ThreadPool(2)) {
            Plan two = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool));
            Plan serial = Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
            StepSchedule sc = two.scheduleForTest();
            int take = -1;
            for (int s = 0; s < two.stepCount(); s++) if (two.stepKernel(s).startsWith("take_along_axis")) take = s;
            boolean takePaired = false;
            for (int k = 0; k < sc.stages(); k++) {
                for (int p = sc.stageStart[k]; p < sc.stageStart[k + 1]; p++) takePaired |= sc.paired(k) && sc.order[p] == take;
            }
            assertTrue(takePaired, two.describe());
            SplittableRandom r = new SplittableRandom(11);
            Object[] good = feeds(serial, r);
            int ix = two.inputs().indexOf(idx);
            int[] bad = ((int[]) good[ix]).clone();
            bad[1000] = 128;
            Object[] badFeeds = good.clone();
            badFeeds[ix] = bad;
            for (int rep = 0; rep < 20; rep++) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> two.run(badFeeds));
                assertTrue(e.getMessage().contains("take_along_axis"), e.getMessage());
                two.run(good);
                serial.run(good);
                for (int o = 0; o < outs.size(); o++) assertArrayEquals(serial.output(o), two.output(o), "output " + o + ", run " + rep);
            }
        }
    }

    /** On synthetic dependencies: a fork of two heavy steps pairs; a chain does not; lanes respect dependencies. */
    @Test void pairsIndependentHeavyStepsAndNothingElse() {
        // 0 -> {1, 2} -> 3: 1 and 2 heavy and independent; 4 depends on 3.
        int[][] deps = {{}, {0}, {0}, {1, 2}, {3}};
        double[] cost = {1000, 500_000, 500_000, 1000, 1000};
        StepSchedule sc = StepSchedule.of(deps, cost, 2);
        assertEquals(4, sc.stages());
        assertTrue(sc.paired(1));
        assertEquals(java.util.Set.of(1, 2), java.util.Set.of(sc.order[sc.stageStart[1]], sc.order[sc.laneB[1]]));
        int[][] chain = {{}, {0}, {1}, {2}};
        assertFalse(StepSchedule.of(chain, new double[] {1e6, 1e6, 1e6, 1e6}, 2).anyPaired());
        assertFalse(StepSchedule.of(deps, cost, 1).anyPaired(), "one thread: nothing in parallel");
        // A light step that depends on a heavy one joins its lane, not the other.
        int[][] d2 = {{}, {}, {0}};
        StepSchedule s2 = StepSchedule.of(d2, new double[] {500_000, 600_000, 50_000}, 2);
        assertTrue(s2.paired(0));
        int laneOf0 = -1, laneOf2 = -1;
        for (int p = s2.stageStart[0]; p < s2.stageStart[1]; p++) {
            int lane = p < s2.laneB[0] ? 0 : 1;
            if (s2.order[p] == 0) laneOf0 = lane;
            if (s2.order[p] == 2) laneOf2 = lane;
        }
        assertEquals(laneOf0, laneOf2, "step 2 reads step 0's result: same lane");
    }

    /**
     * Random DAGs of thousands of steps: every step is scheduled once, each step's dependencies run
     * in an earlier stage or earlier in its own lane (never in the other lane of its stage), and
     * scheduling stays quick.
     */
    @Test void randomDagsAreScheduledOnceInDependencyOrderAndQuickly() {
        SplittableRandom r = new SplittableRandom(17);
        for (int rep = 0; rep < 5; rep++) {
            int n = 3000;
            int[][] deps = new int[n][];
            double[] cost = new double[n];
            for (int t = 0; t < n; t++) {
                int k = t == 0 ? 0 : r.nextInt(Math.min(t, 3) + 1);
                java.util.TreeSet<Integer> d = new java.util.TreeSet<>();
                for (int j = 0; j < k; j++) d.add(t - 1 - r.nextInt(Math.min(t, 20)));
                deps[t] = d.stream().mapToInt(Integer::intValue).toArray();
                cost[t] = r.nextInt(4) == 0 ? r.nextDouble(20_000, 900_000) : r.nextDouble(500, 20_000);
            }
            long t0 = System.nanoTime();
            StepSchedule sc = StepSchedule.of(deps, cost, 2);
            double ms = (System.nanoTime() - t0) / 1e6;
            assertTrue(ms < 3000, "scheduling " + n + " steps took " + ms + " ms");
            assertTrue(sc.anyPaired());
            int[] stage = new int[n], lane = new int[n], pos = new int[n];
            java.util.Arrays.fill(stage, -1);
            for (int k = 0; k < sc.stages(); k++) {
                for (int p = sc.stageStart[k]; p < sc.stageStart[k + 1]; p++) {
                    int s = sc.order[p];
                    assertEquals(-1, stage[s], "step " + s + " scheduled twice");
                    stage[s] = k;
                    lane[s] = p < sc.laneB[k] ? 0 : 1;
                    pos[s] = p;
                }
            }
            for (int t = 0; t < n; t++) {
                assertTrue(stage[t] >= 0, "step " + t + " not scheduled");
                for (int d : deps[t]) {
                    boolean earlierStage = stage[d] < stage[t];
                    boolean earlierInLane = stage[d] == stage[t] && lane[d] == lane[t] && pos[d] < pos[t];
                    assertTrue(earlierStage || earlierInLane, "step " + t + " runs before or beside its dependency " + d);
                }
            }
        }
    }

    static Object[] feeds(Plan p, SplittableRandom r) {
        Object[] feeds = new Object[p.inputs().size()];
        for (int i = 0; i < feeds.length; i++) {
            Tensor in = p.inputs().get(i);
            int size = in.shape().size();
            if (in.dtype() == DType.I32) {
                int[] v = new int[size];
                int axis = in.shape().dims()[in.shape().rank() - 1];
                for (int j = 0; j < size; j++) v[j] = r.nextInt(axis);
                feeds[i] = v;
            } else {
                float[] v = new float[size];
                for (int j = 0; j < size; j++) v[j] = (float) r.nextDouble(-1, 1);
                feeds[i] = v;
            }
        }
        return feeds;
    }
}
