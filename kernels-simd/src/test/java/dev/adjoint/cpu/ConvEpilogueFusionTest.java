package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.junit.jupiter.api.Test;

/**
 * conv -> add(per-channel bias) -> max(lo) -> min(hi) folded into the conv's epilogue
 * (FusionRegions.ConvFusion): the plan shows the fused steps, results match the float64
 * interpreter on odd shapes on every conv path (general with bands and channel tails, pointwise,
 * depthwise, small-Cout columns, batch-blocked rows), equal the unfused plan bitwise and are
 * bitwise identical at every thread count; what the epilogue cannot compute is not folded.
 */
class ConvEpilogueFusionTest {
    /** The kernels of the plan's steps, in order. */
    private static List<String> kernels(Plan p) {
        List<String> k = new ArrayList<>();
        for (Step s : p.stepsForTest()) k.add(s.kernel());
        return k;
    }

    private static Map<Tensor, NdArray> feeds(Graph g, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Tensor, NdArray> f = new HashMap<>();
        for (Tensor t : g.inputs()) f.put(t, Oracle.random(r, t.dtype(), t.shape(), -1, 1));
        return f;
    }

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

    private static Tensor bias(Tensor conv, Tensor b) {
        int r = conv.rank();
        return conv.add(b.broadcastInDim(conv.shape(), r - 1));
    }

    private static int[] ones(int r) { int[] a = new int[r]; java.util.Arrays.fill(a, 1); return a; }

    /**
     * One conv per path, each with an epilogue: {@code convs[i]} is the conv before it (kept so
     * that the unfused twin can make it an output).
     */
    private static List<Tensor> net(Graph g, List<Tensor> convs) {
        List<Tensor> outs = new ArrayList<>();
        // General, banded (2-D, small staged image), channel tail (Cout 19), stride 2: bias + relu.
        Tensor x = g.input("x", 3, 13, 11, 5), k1 = g.input("k1", 3, 3, 5, 19), b1 = g.input("b1", 19);
        Tensor c1 = Nn.conv(x, k1, new int[] {2, 2}, new int[] {1, 1});
        convs.add(c1);
        Tensor h1 = bias(c1, b1).relu();
        // General, banded, Cout 33 (two blocks + tail): bias + ReLU6 (ONNX Clip(0, 6): max then min).
        Tensor k2 = g.input("k2", 3, 3, 19, 33), b2 = g.input("b2", 33);
        Tensor c2 = Nn.conv(h1, k2, new int[] {1, 1}, new int[] {1, 1});
        convs.add(c2);
        Tensor h2 = bias(c2, b2).max(0.0).min(6.0);
        outs.add(h2);
        // Depthwise (groups = C = 33) + bias, no activation.
        Tensor kd = g.input("kd", 3, 3, 1, 33), bd = g.input("bd", 33);
        Tensor cd = Nn.conv(h2, kd, ones(2), new int[] {1, 1}, new int[] {1, 1}, ones(2), ones(2), 33);
        convs.add(cd);
        outs.add(bias(cd, bd));
        // Pointwise (1x1, stride 1) + relu, no bias.
        Tensor kp = g.input("kp", 1, 1, 19, 17);
        Tensor cp = Nn.conv(h1, kp);
        convs.add(cp);
        outs.add(cp.relu());
        // Small Cout (6 < one vector: the column kernel) + bias + clamp(-0.5, 0.25) with odd bounds.
        Tensor ks = g.input("ks", 5, 5, 5, 6), bs = g.input("bs", 6);
        Tensor cs = Nn.conv(x, ks, new int[] {1, 1}, new int[] {2, 2});
        convs.add(cs);
        outs.add(bias(cs, bs).max(-0.5).min(0.25));
        // Layer D's shape, smaller: Cin 1, k5 p2, the whole image one band; bias + relu.
        Tensor xd = g.input("xd", 9, 12, 12, 1), kD = g.input("kD", 5, 5, 1, 32), bD = g.input("bD", 32);
        Tensor cD = Nn.conv(xd, kD, new int[] {1, 1}, new int[] {2, 2});
        convs.add(cD);
        outs.add(bias(cD, bD).relu());
        // Batch-blocked rows (innermost output 3 wide, batch >= 4), 1-D, with rhs dilation: bias + max(0.1).
        Tensor x1 = g.input("x1", 7, 9, 4), kb = g.input("kb", 3, 4, 20), bb = g.input("bb", 20);
        Tensor cb = Nn.conv(x1, kb, new int[] {3}, new int[] {0}, new int[] {0}, new int[] {1}, new int[] {2}, 1);
        convs.add(cb);
        outs.add(bias(cb, bb).max(0.1));
        return outs;
    }

    @Test void everyPathFusesAndMatchesTheReference() {
        Graph g = new Graph();
        List<Tensor> outs = net(g, new ArrayList<>());
        Plan p = compile(outs, WorkSplitter.SERIAL);
        List<String> k = kernels(p);
        for (String want : List.of("conv (general) + bias + relu", "conv (general) + bias + clamp [0.0, 6.0]", "conv (depthwise) + bias",
                "conv (pointwise) + relu", "conv (small_cout) + bias + clamp [-0.5, 0.25]", "conv (general) + bias + clamp [0.1, Infinity]"))
            assertTrue(k.contains(want), want + " in\n" + p.describe());
        // Every conv carries its epilogue: no elementwise step is left in this plan.
        for (String s : k) assertFalse(s.contains("elementwise"), p.describe());
        Oracle.check(outs, feeds(g, 1), 1e-5, WorkSplitter.SERIAL);
        Oracle.check(outs, feeds(g, 2), 1e-5, Cpu.defaultPool());
    }

    @Test void fusedEqualsUnfusedBitwiseAtEveryThreadCount() {
        Graph g = new Graph();
        List<Tensor> convs = new ArrayList<>();
        List<Tensor> fused = net(g, convs);
        Map<Tensor, NdArray> f = feeds(g, 3);
        List<float[]> serial = run(compile(fused, WorkSplitter.SERIAL), f);
        try (ThreadPool two = new ThreadPool(2); ThreadPool three = new ThreadPool(3)) {
            for (WorkSplitter s : List.of(two, three, Cpu.defaultPool())) {
                List<float[]> got = run(compile(fused, s), f);
                for (int i = 0; i < serial.size(); i++) assertArrayEquals(serial.get(i), got.get(i), s.threads() + " threads, output " + i);
            }
        }
        // The same graph with every conv also an output: nothing folds, each epilogue op is a step.
        List<Tensor> plainOuts = new ArrayList<>(fused);
        plainOuts.addAll(convs);
        Plan plain = compile(plainOuts, WorkSplitter.SERIAL);
        for (String s : kernels(plain)) assertFalse(s.startsWith("conv") && s.contains("+"), plain.describe());
        List<float[]> unfused = run(plain, f);
        for (int i = 0; i < serial.size(); i++) assertArrayEquals(serial.get(i), unfused.get(i), "fused vs unfused, output " + i);
    }

    @Test void whatTheEpilogueCannotComputeIsNotFolded() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 6, 7, 3), k = g.input("k", 3, 3, 3, 16);
        Tensor c = Nn.conv(x, k, new int[] {1, 1}, new int[] {1, 1});
        // A bias along a spatial axis, not the channels.
        Tensor bw = g.input("bw", 7);
        Tensor spatial = c.add(bw.broadcastInDim(c.shape(), 2)).relu();
        // A conv read by someone else besides its bias add.
        Tensor x2 = g.input("x2", 2, 6, 7, 3), b2 = g.input("b2", 16);
        Tensor c2 = Nn.conv(x2, k, new int[] {1, 1}, new int[] {1, 1});
        Tensor shared = bias(c2, b2).relu().add(c2);
        // max with a non-constant operand; and an f64 conv.
        Tensor x3 = g.input("x3", 2, 6, 7, 3), m = g.input("m", 2, 6, 7, 16);
        Tensor byTensor = Nn.conv(x3, k, new int[] {1, 1}, new int[] {1, 1}).max(m);
        Tensor xd = g.input("xd", DType.F64, 2, 6, 7, 3), kd = g.input("kd", DType.F64, 3, 3, 3, 16), bd = g.input("bd", DType.F64, 16);
        Tensor f64 = bias(Nn.conv(xd, kd, new int[] {1, 1}, new int[] {1, 1}), bd).relu();
        List<Tensor> outs = List.of(spatial, shared, byTensor, f64);
        Plan p = compile(outs, WorkSplitter.SERIAL);
        for (String s : kernels(p)) assertFalse(s.startsWith("conv") && s.contains("+"), p.describe());
        Oracle.check(outs, feeds(g, 4), 1e-5, WorkSplitter.SERIAL);
    }
}
