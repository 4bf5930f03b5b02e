package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.testing.RandomGraphs;
import dev.adjoint.kernels.WorkSplitter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Whole graphs through the executor, errors at run time, and buffer reuse. */
class PlanTest {

    @Test void randomGraphsMatchTheInterpreter() {
        for (long seed = 0; seed < 200; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(seed, 25);
            Map<Tensor, NdArray> feeds = new java.util.HashMap<>();
            c.feeds().forEach((t, v) -> {
                double[] f = v.data().clone();
                for (int i = 0; i < f.length; i++) f[i] = (float) f[i];
                feeds.put(t, NdArray.of(v.shape(), f));
            });
            Oracle.check(c.outputs(), feeds, 2e-4, seed % 2 == 0 ? WorkSplitter.SERIAL : Cpu.defaultPool());
        }
    }

    @Test void wrongFeedsNameTheInputAndLeaveThePlanUsable() {
        Graph g = new Graph();
        Tensor x = g.input("pixels", 2, 3);
        Plan plan = Cpu.compile(List.of(x.exp().sum(1)));
        var wrong = assertThrows(IllegalArgumentException.class, () -> plan.run(Map.of(x, new float[5])));
        assertTrue(wrong.getMessage().contains("input \"pixels\" f32[2, 3]"), wrong.getMessage());
        assertTrue(wrong.getMessage().contains("fed 5 values; it has 6"), wrong.getMessage());
        assertTrue(wrong.getMessage().contains("PlanTest.java:"), wrong.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> plan.run(Map.of()));
        assertTrue(missing.getMessage().contains("has no value"), missing.getMessage());
        plan.run(Map.of(x, new float[] {0, 0, 0, 0, 0, 0}));
        assertArrayEquals(new float[] {3, 3}, plan.output(0));
    }

    @Test void nanChecksNameTheNodeThatMadeIt() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4);
        Tensor y = x.log().exp(); // log of a negative number is NaN
        Plan plan = Cpu.compile(List.of(y), CompileOptions.defaults().withNaNChecks(true).withOptimizer(false));
        var e = assertThrows(ArithmeticException.class, () -> plan.run(Map.of(x, new float[] {1, 2, -3, 4})));
        assertTrue(e.getMessage().contains("NaN at element 2"), e.getMessage());
        assertTrue(e.getMessage().contains("PlanTest.java:"), e.getMessage());
        plan.run(Map.of(x, new float[] {1, 2, 3, 4}));
        assertEquals(3f, plan.output(0)[2], 1e-5f);
    }

    @Test void deadIntermediatesShareMemory() {
        Graph g = new Graph();
        Tensor x = g.input("x", 64, 64);
        Tensor y = x;
        // Each matmul's result dies at the next one: a chain of 20 needs only a few buffers.
        for (int i = 0; i < 20; i++) y = y.matmul(x).tanh();
        Plan plan = Cpu.compile(List.of(y), CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
        long oneBuffer = 4L * 64 * 64;
        // plus one thread's fused-program scratch (counted since issue 11: at most 32 KiB and a few tables)
        assertTrue(plan.plannedPeakBytes() <= 4 * oneBuffer + 40 * 1024, plan.describe());
        float[] in = new float[64 * 64];
        for (int i = 0; i < in.length; i++) in[i] = (i % 7 - 3) / 64f;
        Oracle.check(List.of(y), Map.of(x, NdArray.of(x.shape(), toDouble(in))), 1e-4, WorkSplitter.SERIAL);
    }

    @Test void outputsThatAreViewsOrInputsGetTheirOwnArrays() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3);
        Plan plan = Cpu.compile(List.of(x, x.transpose(1, 0), x.reshape(3, 2)));
        float[] in = {1, 2, 3, 4, 5, 6};
        plan.run(Map.of(x, in));
        assertArrayEquals(in, plan.output(0));
        assertTrue(plan.output(0) != in, "an output must not alias the caller's input array");
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, plan.output(1));
        assertArrayEquals(in, plan.output(2));
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
