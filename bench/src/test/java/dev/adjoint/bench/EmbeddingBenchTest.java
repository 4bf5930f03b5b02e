package dev.adjoint.bench;

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
}
