package dev.adjoint.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import java.util.List;
import java.util.Map;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Tensor;
import org.junit.jupiter.api.Test;

/** The embedding benchmark's plan: scratch under 2 MB, and forward and gradient exactly right over several steps. */
class EmbeddingBenchTest {

    @Test void plansUnderTwoMegabytesOfScratchAndComputesTheStep() {
        Plan plan = EmbeddingBench.compile();
        long scratch = EmbeddingBench.scratchBytes(plan);
        assertTrue(scratch < 2_000_000, scratch + " bytes of scratch\n" + plan.describe());
        int v = EmbeddingBench.VOCAB, d = EmbeddingBench.WIDTH;
        for (long seed = 1; seed <= 3; seed++) {
            Object[] feeds = EmbeddingBench.feeds(plan, seed);
            int[] ids = null;
            float[] w = null, up = null;
            for (int i = 0; i < feeds.length; i++) {
                Tensor t = plan.inputs().get(i);
                String label = ((dev.adjoint.graph.op.Input) t.op()).label();
                if (t.dtype() == DType.I32) ids = (int[]) feeds[i];
                else if (label.equals("W")) w = (float[]) feeds[i];
                else up = (float[]) feeds[i];
            }
            ids[1] = ids[0];  // a repeated id: its gradient rows accumulate
            plan.run(feeds);
            float[] e = new float[ids.length * d], dw = new float[v * d];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(w, ids[t] * d, e, t * d, d);
                for (int j = 0; j < d; j++) dw[ids[t] * d + j] += up[t * d + j];
            }
            assertArrayEquals(e, plan.output(0));
            // Exact: each gradient row is accumulated in token order, as here; rows written by the
            // previous step (another seed) must have been cleared.
            assertArrayEquals(dw, plan.output(1));
        }
    }

    /**
     * Without the caller's promise of read-only outputs, a caller that writes into the gradient
     * array (say, weight decay added in place) still gets the right gradient next run: the
     * scatter clears its whole output. With the promise, it clears only the rows it wrote.
     */
    @Test void aCallerEditingTheGradientInPlaceStillGetsTheRightGradientByDefault() {
        Graph g = new Graph();
        Tensor table = g.input("table", 50, 4), ids = g.input("ids", DType.I32, 3), up = g.input("up", 3, 4);
        Tensor dTable = Autodiff.grad(Nn.embedding(ids, table).mul(up).sum(), table);
        Plan safe = Cpu.compile(List.of(dTable));
        Plan promised = Cpu.compile(List.of(dTable), CompileOptions.defaults().withReadOnlyOutputs(true));
        assertFalse(safe.describe().contains("resets only the rows it wrote"), safe.describe());
        assertTrue(promised.describe().contains("resets only the rows it wrote"), promised.describe());
        float[] w = new float[200], u = new float[12];
        for (int i = 0; i < u.length; i++) u[i] = i + 1;
        safe.run(Map.of(table, w, ids, new int[] {1, 2, 1}, up, u));
        java.util.Arrays.fill(safe.output(0), 0.5f);  // the caller edits the gradient in place
        safe.run(Map.of(table, w, ids, new int[] {7, 8, 9}, up, u));
        float[] expected = new float[200];
        for (int t = 0; t < 3; t++) for (int j = 0; j < 4; j++) expected[(7 + t) * 4 + j] = u[t * 4 + j];
        assertArrayEquals(expected, safe.output(0));
    }
}
