package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * dot_general -> add(bias) -> max(0) folded into the GEMM epilogue (FusionRegions.Epilogue):
 * the plan shows the fused step, results match the float64 interpreter on odd sizes, equal the
 * unfused plan bitwise, and are bitwise identical at every thread count; a dot or bias add that
 * someone else reads is not folded.
 */
class GemmEpilogueFusionTest {
    // 2*67*129*131 flops is above Gemm's parallel threshold, so threads really split the GEMM.
    static final int B = 67, IN = 131, H = 129, H2 = 37, OUT = 5;

    /** The kernels of the plan's steps, in order. */
    private static List<String> kernels(Plan p) {
        List<String> k = new ArrayList<>();
        for (Step s : p.stepsForTest()) k.add(s.kernel());
        return k;
    }

    private static Map<Tensor, NdArray> feeds(List<Tensor> outputs, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Tensor, NdArray> f = new HashMap<>();
        for (Tensor t : outputs.get(0).graph().inputs()) f.put(t, Oracle.random(r, t.dtype(), t.shape(), -1, 1));
        return f;
    }

    /** The plan's float outputs after one run on {@code feeds}. */
    private static List<float[]> run(Plan plan, Map<Tensor, NdArray> feeds) {
        Map<Tensor, Object> in = new HashMap<>();
        feeds.forEach((t, v) -> in.put(t, Oracle.feed(t.dtype(), v.data())));
        plan.run(in);
        List<float[]> out = new ArrayList<>();
        for (int o = 0; o < plan.outputs().size(); o++) out.add(plan.output(o).clone());
        return out;
    }

    private static Plan compile(List<Tensor> outs, WorkSplitter s) {
        return Cpu.compile(outs, CompileOptions.defaults().withSplitter(s));
    }

    /** An MLP: two relu(x W + b) layers and a linear one. */
    private static List<Tensor> mlp(Graph g, Function<Tensor, Tensor> tapDot) {
        Tensor x = g.input("x", B, IN);
        Tensor w1 = g.input("w1", IN, H), b1 = g.input("b1", H);
        Tensor w2 = g.input("w2", H, H2), b2 = g.input("b2", H2);
        Tensor w3 = g.input("w3", H2, OUT), b3 = g.input("b3", OUT);
        Tensor h1 = tapDot.apply(x.matmul(w1)).add(b1.broadcastInDim(Shape.of(B, H), 1)).relu();
        Tensor h2 = Nn.linear(h1, w2, b2).relu();
        return List.of(Nn.linear(h2, w3, b3));
    }

    @Test void anMlpForwardRunsAsThreeFusedGemms() {
        List<Tensor> outs = mlp(new Graph(), t -> t);
        Plan p = compile(outs, WorkSplitter.SERIAL);
        assertEquals(List.of("gemm 67x129x131 + bias (columns) + relu", "gemm 67x37x129 + bias (columns) + relu",
                "gemm 67x5x37 + bias (columns)"), kernels(p), p.describe());
        Oracle.check(outs, feeds(outs, 1), 1e-5, WorkSplitter.SERIAL);
        Oracle.check(outs, feeds(outs, 2), 1e-5, Cpu.defaultPool());
    }

    @Test void fusedEqualsUnfusedBitwiseAtEveryThreadCount() {
        Graph g = new Graph();
        List<Tensor> fused = mlp(g, t -> t);
        Map<Tensor, NdArray> f = feeds(fused, 3);
        float[] serial = run(compile(fused, WorkSplitter.SERIAL), f).get(0);
        try (ThreadPool two = new ThreadPool(2); ThreadPool three = new ThreadPool(3)) {
            assertArrayEquals(serial, run(compile(fused, two), f).get(0), "2 threads");
            assertArrayEquals(serial, run(compile(fused, three), f).get(0), "3 threads");
        }
        // The same layers with every product computed alone: each dot is also an output.
        Graph g2 = new Graph();
        List<Tensor> dots = new ArrayList<>();
        Tensor x = g2.input("x", B, IN);
        Tensor w1 = g2.input("w1", IN, H), b1 = g2.input("b1", H);
        Tensor w2 = g2.input("w2", H, H2), b2 = g2.input("b2", H2);
        Tensor w3 = g2.input("w3", H2, OUT), b3 = g2.input("b3", OUT);
        Tensor d1 = x.matmul(w1), h1 = d1.add(b1.broadcastInDim(Shape.of(B, H), 1)).relu();
        Tensor d2 = h1.matmul(w2), h2 = d2.add(b2.broadcastInDim(Shape.of(B, H2), 1)).relu();
        Tensor d3 = h2.matmul(w3), y = d3.add(b3.broadcastInDim(Shape.of(B, OUT), 1));
        dots.addAll(List.of(y, d1, d2, d3));
        Plan plain = compile(dots, WorkSplitter.SERIAL);
        for (String k : kernels(plain)) assertFalse(k.contains("+"), plain.describe());
        Map<Tensor, NdArray> f2 = new HashMap<>();
        for (Tensor t : g2.inputs()) {
            for (var e : f.entrySet()) if (((dev.adjoint.graph.op.Input) e.getKey().op()).label().equals(((dev.adjoint.graph.op.Input) t.op()).label())) f2.put(t, e.getValue());
        }
        assertArrayEquals(serial, run(plain, f2).get(0), "fused vs unfused");
    }

    @Test void aDotReadByAnotherNodeIsNotFolded() {
        Graph g = new Graph();
        Tensor x = g.input("x", B, IN), w = g.input("w", IN, H), b = g.input("b", H);
        Tensor z = x.matmul(w);
        List<Tensor> outs = List.of(Nn.linear(x, w, b).relu(), z.add(b.broadcastInDim(Shape.of(B, H), 1)).relu().add(z.sum()));
        Plan p = compile(outs, WorkSplitter.SERIAL);
        // The first output's product (CSE may merge the dots) and z: z is read by its sum too.
        assertTrue(kernels(p).contains("gemm 67x129x131"), p.describe());
        Oracle.check(outs, feeds(outs, 4), 1e-4, Cpu.defaultPool()); // an f32 sum of 8643 values
    }

    @Test void relusGradientMaskReadsTheReluSoTheTrainingPatternFoldsWhole() {
        // The training pattern: relu's gradient mask gt(pre-activation, 0). The activation-masks
        // pass makes it read relu's output (x > 0 iff max(x, 0) > 0), so nothing else reads x W + b
        // and the GEMM applies bias and relu (without the pass: "gemm ... + bias (columns)" and a relu step).
        Graph g = new Graph();
        Tensor x = g.input("x", B, IN), w = g.input("w", IN, H), b = g.input("b", H), ct = g.input("ct", B, H);
        Tensor a = Nn.linear(x, w, b);
        List<Tensor> outs = List.of(a.relu(), ct.mul(a.gt(0).convert(DType.F32)));
        Plan p = compile(outs, WorkSplitter.SERIAL);
        assertEquals("gemm 67x129x131 + bias (columns) + relu", kernels(p).get(0), p.describe());
        assertEquals(1, kernels(p).stream().filter(k -> k.startsWith("gemm")).count(), p.describe());
        Oracle.check(outs, feeds(outs, 5), 1e-5, Cpu.defaultPool());
    }

    @Test void aPreActivationReadByAnotherOpKeepsOnlyTheBias() {
        // x W + b also read by something the relu's output does not answer (here a product): the GEMM
        // writes x W + b and the relu stays a step of its own.
        Graph g = new Graph();
        Tensor x = g.input("x", B, IN), w = g.input("w", IN, H), b = g.input("b", H), ct = g.input("ct", B, H);
        Tensor a = Nn.linear(x, w, b);
        List<Tensor> outs = List.of(a.relu(), ct.mul(a), ct.mul(a.ge(0).convert(DType.F32)));
        Plan p = compile(outs, WorkSplitter.SERIAL);
        assertEquals("gemm 67x129x131 + bias (columns)", kernels(p).get(0), p.describe());
        Oracle.check(outs, feeds(outs, 5), 1e-5, Cpu.defaultPool());
    }

    @Test void aPerRowBiasAndABatchedTransposedProductFold() {
        Graph g = new Graph();
        // W x + b, b along the rows (conv as W x im2col).
        Tensor w = g.input("w", H2, IN), x = g.input("x", IN, 19), b = g.input("b", H2);
        Tensor rows = w.matmul(x).add(b.broadcastInDim(Shape.of(H2, 19), 0)).relu();
        // Batched, with a transposed lhs view: [3, K, M]^T x [3, K, N] + b[N], then relu.
        Tensor xt = g.input("xt", 3, 23, 11), y = g.input("y", 3, 23, 13), c = g.input("c", 1, 13);
        Tensor batched = xt.dotGeneral(y, new int[] {1}, new int[] {1}, new int[] {0}, new int[] {0})
                .add(c.broadcastInDim(Shape.of(3, 11, 13), 1, 2)).relu();
        // relu alone, and max with the constant on the left (its own x: CSE would share the product above).
        Tensor x3 = g.input("x3", IN, 19);
        Tensor only = g.constant(0.0).broadcastInDim(Shape.of(H2, 19)).max(w.matmul(x3));
        List<Tensor> outs = List.of(rows, batched, only);
        Plan p = compile(outs, WorkSplitter.SERIAL);
        List<String> k = kernels(p);
        assertTrue(k.contains("gemm 37x19x131 + bias (rows) + relu"), p.describe());
        assertTrue(k.contains("gemm 3x11x13x23 + bias (columns) + relu"), p.describe());
        assertTrue(k.contains("gemm 37x19x131 + relu"), p.describe());
        Oracle.check(outs, feeds(outs, 6), 1e-5, WorkSplitter.SERIAL);
        Oracle.check(outs, feeds(outs, 7), 1e-5, Cpu.defaultPool());
    }

    @Test void whatTheEpilogueCannotComputeIsNotFolded() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3, 7, 9), w = g.input("w", 3, 9, 5), bb = g.input("bb", 3, 5);
        Tensor prod = x.dotGeneral(w, new int[] {2}, new int[] {1}, new int[] {0}, new int[] {0});
        // A bias that differs per batch matrix; max with -0 (the GEMM's relu gives +0 for -0).
        Tensor perBatch = prod.add(bb.broadcastInDim(Shape.of(3, 7, 5), 0, 2));
        Tensor x2 = g.input("x2", 7, 9), w2 = g.input("w2", 9, 5);
        Tensor negZero = x2.matmul(w2).max(-0.0);
        Tensor xd = g.input("xd", DType.F64, 7, 9), wd = g.input("wd", DType.F64, 9, 5), bd = g.input("bd", DType.F64, 5);
        Tensor f64 = Nn.linear(xd, wd, bd).relu();
        List<Tensor> outs = List.of(perBatch, negZero, f64);
        Plan p = compile(outs, WorkSplitter.SERIAL);
        for (String k : kernels(p)) assertFalse(k.startsWith("gemm") && k.contains("+"), p.describe());
        Oracle.check(outs, feeds(outs, 8), 1e-5, WorkSplitter.SERIAL);
    }
}
