package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Buffer donation: an output written into the array fed for an input, only when no later step reads that input. */
class DonationTest {
    @Test
    void anUpdateIsWrittenIntoTheFedArray() {
        Graph g = new Graph();
        Tensor p = g.input("p", 3, 70), v = g.input("v", 3, 70), x = g.input("x", 5, 3);
        // A forward read of p (matmul), then p - 0.1 * (0.9 v + p-gradient-like term): the update reads p in the writing pass.
        Tensor y = x.matmul(p).sum();
        Tensor v1 = v.mul(0.9).add(p.mul(y));
        Tensor p1 = p.sub(v1.mul(0.1));
        Plan plan = Cpu.compile(List.of(y, p1, v1), CompileOptions.defaults(), Map.of(1, p, 2, v));
        float[] pv = new float[210], vv = new float[210], xv = new float[15];
        for (int i = 0; i < 210; i++) {
            pv[i] = (i % 7) * 0.01f;
            vv[i] = (i % 5) * 0.02f;
        }
        for (int i = 0; i < 15; i++) xv[i] = i * 0.1f;
        float[] p0 = pv.clone(), v0 = vv.clone();
        Plan ref = Cpu.compile(List.of(y, p1, v1));
        ref.run(Map.of(p, p0, v, v0, x, xv));
        plan.run(Map.of(p, pv, v, vv, x, xv));
        assertSame(pv, plan.output(1), "the new p is in the fed array");
        assertSame(vv, plan.output(2));
        assertArrayEquals(ref.output(1), pv);
        assertArrayEquals(ref.output(2), vv);
        assertEquals(ref.output(0)[0], plan.output(0)[0]);
        assertEquals(1, plan.donatedInput(1) >= 0 ? 1 : 0);
    }

    @Test
    void aReaderAfterTheWriteIsRefused() {
        Graph g = new Graph();
        Tensor p = g.input("p", 4, 4);
        Tensor a = p.exp();                 // written first
        Tensor b = p.matmul(p).sum();       // reads p afterwards
        var e = assertThrows(IllegalArgumentException.class, () -> Cpu.compile(List.of(a, b), CompileOptions.defaults(), Map.of(0, p)));
        assertTrue(e.getMessage().contains("(gemm 4x4x4) reads \"p\" after the write"), e.getMessage());
    }

    @Test
    void aWriterReadingTheInputThroughAnotherLayoutIsRefused() {
        Graph g = new Graph();
        Tensor p = g.input("p", 8, 8);
        Tensor t = p.transpose(1, 0).add(p);
        var e = assertThrows(IllegalArgumentException.class, () -> Cpu.compile(List.of(t), CompileOptions.defaults(), Map.of(0, p)));
        assertTrue(e.getMessage().contains("through a view other than the output's layout"), e.getMessage());
    }

    @Test
    void typesAndSizesMustMatch() {
        Graph g = new Graph();
        Tensor p = g.input("p", 4), q = g.input("q", 5);
        // p is not read by the plan: nothing to donate, nothing refused.
        Plan noop = Cpu.compile(List.of(q.add(1)), CompileOptions.defaults(), Map.of(0, p));
        assertEquals(-1, noop.donatedInput(0));
        var e = assertThrows(IllegalArgumentException.class, () -> Cpu.compile(List.of(p.add(q.sum())), CompileOptions.defaults(), Map.of(0, q)));
        assertTrue(e.getMessage().contains("into input \"q\" f32[5]: types or sizes differ"), e.getMessage());
    }
}
