package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.WorkSplitter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Plan#profile}: per-step clock totals, and the same results as a plain run. */
class PlanProfileTest {

    @Test void profileTimesEveryStepAndComputesWhatRunDoes() {
        Graph g = new Graph();
        Tensor a = g.input("a", 7, 5), b = g.input("b", 5, 3);
        Plan p = Cpu.compile(List.of(a.matmul(b).exp().sum(1)), CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
        float[] fa = new float[35], fb = new float[15];
        for (int i = 0; i < fa.length; i++) fa[i] = (i % 7) * 0.1f - 0.3f;
        for (int i = 0; i < fb.length; i++) fb[i] = (i % 5) * 0.05f;
        p.run(fa, fb);
        float[] plain = p.output(0).clone();
        // A clock that ticks 1 per reading: each step reads it twice per run, so each total is exactly the run count.
        long[] tick = {0};
        long[] t = p.profile(new Object[] {fa, fb}, 3, () -> tick[0]++);
        assertEquals(p.stepCount(), t.length);
        for (int s = 0; s < t.length; s++) {
            assertEquals(3, t[s], "step " + s + " " + p.stepKernel(s));
            assertTrue(!p.stepOp(s).isEmpty());
        }
        assertEquals(6L * p.stepCount(), tick[0]);
        assertArrayEquals(plain, p.output(0));
        // After profiling the plan runs unprofiled again (no clock reads).
        p.run(fa, fb);
        assertEquals(6L * p.stepCount(), tick[0]);
    }
}
