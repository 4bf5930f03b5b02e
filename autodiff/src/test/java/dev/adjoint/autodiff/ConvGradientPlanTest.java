package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The conv gradients that autodiff builds run through the executor without copying their kernel
 * operands: the input-gradient conv reads {@code rev(transpose(k))} and the kernel-gradient conv
 * reads {@code transpose(dy)} in place (the executor's conv lowering passes their strides to the
 * kernel as a ConvKernelLayout), and the results equal the float64 interpreter's, bitwise equal at
 * 1 and 2 threads.
 */
class ConvGradientPlanTest {
    /** n, spatial, cin, k, cout, stride, padLo, padHi, lhs dilation, rhs dilation, groups. */
    private static final int[][] CASES = {
        {2, 7, 3, 3, 5, 1, 1, 1, 1, 1, 1},
        {3, 9, 17, 3, 19, 2, 1, 0, 1, 1, 1},
        {1, 6, 4, 2, 33, 1, 0, 1, 1, 2, 1},
        {2, 5, 5, 3, 6, 1, 2, 2, 2, 1, 1},
        {4, 1, 16, 1, 16, 1, 0, 0, 1, 1, 1},   // 1x1 image, 1x1 kernel
        {5, 4, 1, 3, 7, 1, 1, 1, 1, 1, 1},     // Cin 1
        {2, 6, 4, 3, 6, 1, 1, 1, 1, 1, 2},     // groups: the kernel relayout is a reshape, copied as before
        // Small Cout (LeNet's 1->6 and 16->6 shapes, odd sizes): the flat forward and input-gradient
        // convs and the dedicated kernel-gradient kernel.
        {9, 11, 1, 5, 6, 1, 2, 2, 1, 1, 1},
        {3, 7, 16, 5, 6, 1, 0, 0, 1, 1, 1},
        {2, 9, 3, 3, 3, 2, 1, 1, 1, 1, 1},
        {3, 8, 6, 3, 1, 1, 1, 0, 1, 2, 1},
        // Cout a multiple of two vectors (32 floats covers AVX-512 and AVX2): the wide-Cout
        // kernel-gradient kernel (layer D's Cin 1 k5, stride 2 as layer C, dilation 2, Cout 64).
        {3, 9, 5, 3, 32, 1, 1, 1, 1, 1, 1},
        {2, 10, 1, 5, 32, 1, 2, 2, 1, 1, 1},
        {2, 11, 8, 3, 64, 2, 1, 0, 1, 1, 1},
        {2, 7, 3, 3, 32, 1, 0, 1, 1, 2, 1},
    };

    @Test void gradientKernelsAreReadInPlaceAndMatchTheInterpreter() {
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int[] c : CASES) check(c, pool);
        }
    }

    private static void check(int[] c, ThreadPool pool) {
        int n = c[0], s = c[1], cin = c[2], kk = c[3], cout = c[4], groups = c[10];
        String what = java.util.Arrays.toString(c);
        Graph g = new Graph();
        Tensor x = g.input("x", n, s, s + 1, cin), k = g.input("k", kk, kk, cin / groups, cout);
        Tensor y = Nn.conv(x, k, new int[] {c[5], c[5]}, new int[] {c[6], c[6]}, new int[] {c[7], c[7]},
                new int[] {c[8], c[8]}, new int[] {c[9], c[9]}, groups);
        Tensor w = g.input("w", y.shape().dims());
        List<Tensor> grads = Autodiff.grad(y.mul(w).sum(), List.of(x, k));
        List<Tensor> outs = List.of(y, grads.get(0), grads.get(1));
        SplittableRandom rnd = new SplittableRandom(what.hashCode());
        Map<Tensor, NdArray> feeds = new HashMap<>();
        for (Tensor t : List.of(x, k, w)) feeds.put(t, random(rnd, t.shape()));
        List<NdArray> want = Interpreter.run(g, feeds, outs);

        Plan serial = Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
        Plan pooled = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool));
        String plan = serial.describe();
        int convs = 0, inPlace = 0, kernelGradient = 0;
        for (String line : plan.split("\n")) {
            if (!line.contains(": node %")) continue;
            String op = line.split(" ")[3];
            assertFalse(op.equals("rev"), what + ": a rev step is left in the plan:\n" + plan);
            if (op.equals("conv") && line.contains("-> conv")) {
                convs++;
                if (line.contains("kernel read in place")) inPlace++;
                if (line.contains("-> conv kernel gradient (small Cout, x and dy read in place)")
                        || line.contains("-> conv kernel gradient (wide Cout, x and dy read in place)")) { inPlace++; kernelGradient++; }
            }
            // A copy owned by a conv node is one of its operands made dense: only the kernel-gradient
            // conv's lhs (x with batch and channels exchanged, x's size) may need one.
            if (op.equals("conv") && !line.contains("-> conv")) {
                assertTrue(line.endsWith(", " + x.shape().size() + " elements"), what + ": a kernel operand is copied:\n" + plan);
            }
        }
        assertEquals(3, convs, what + "\n" + plan);
        // With N = 1, dy seen as the kernel [O.., N, Cout] is dense: the standard layout, no strides needed.
        // The dedicated kernel-gradient kernel reads x and dy in place whatever N is.
        if (groups == 1) assertEquals(n > 1 || kernelGradient > 0 ? 2 : 1, inPlace, what + ": the gradient convs must read their kernels in place:\n" + plan);
        // Fewer output channels than the narrowest vector (8 floats): the kernel gradient has its own kernel.
        if (groups == 1 && cout < 8 && c[8] == 1) assertEquals(1, kernelGradient, what + ": no small-Cout kernel-gradient step:\n" + plan);
        // Cout a whole number of 2-vector blocks: the wide kernel-gradient kernel, and no operand copy at all.
        if (groups == 1 && cout % 32 == 0 && c[8] == 1) {
            assertTrue(plan.contains("-> conv kernel gradient (wide Cout, x and dy read in place)"), what + ": no wide kernel-gradient step:\n" + plan);
            assertFalse(plan.contains("transpose (conv operand"), what + ": x is still relaid for the kernel gradient:\n" + plan);
            // dk is written in k's own layout: the transpose after the kernel-gradient conv is a view, not a copy.
            assertFalse(plan.contains("-> copy"), what + ": a copy step is left in the plan:\n" + plan);
        }

        for (Plan p : List.of(serial, pooled)) {
            Map<Tensor, Object> in = new HashMap<>();
            feeds.forEach((t, v) -> in.put(t, floats(v.data())));
            p.run(in);
        }
        compare(outs, serial, pooled, want, what, kk, cin, n, s);
        // A warm plan allocates nothing per run (the conv workspaces and the tiled operand copy
        // included). Checked on the first, small case: the kernels must reach C2 first (~10k
        // calls), since interpreted Vector API code allocates (see PlanAllocationTest).
        if (c == CASES[0]) assertNoAllocation(serial, feeds, what, plan);
    }

    private static void assertNoAllocation(Plan serial, Map<Tensor, NdArray> feeds, String what, String plan) {
        Object[] bound = new Object[serial.inputs().size()];
        for (int i = 0; i < bound.length; i++) bound[i] = floats(feeds.get(serial.inputs().get(i)).data());
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 30000; i++) serial.run(bound);
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1000; i++) serial.run(bound);
        double perRun = (mx.getCurrentThreadAllocatedBytes() - before) / 1000.0;
        assertTrue(perRun < 32, what + ": " + perRun + " bytes allocated per run\n" + plan);
    }

    private static void compare(List<Tensor> outs, Plan serial, Plan pooled, List<NdArray> want, String what, int kk, int cin, int n, int s) {
        for (int i = 0; i < outs.size(); i++) {
            float[] a = serial.output(i), b = pooled.output(i);
            assertArrayEquals(a, b, what + " output " + i + ": 1 and 2 threads differ");
            double[] e = want.get(i).data();
            double scale = 0;
            for (double v : e) scale = Math.max(scale, Math.abs(v));
            for (int j = 0; j < e.length; j++)
                assertEquals(e[j], a[j], 1e-4 * (1 + scale), what + " output " + i + " element " + j);
        }
    }

    private static NdArray random(SplittableRandom rnd, Shape shape) {
        double[] v = new double[shape.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextDouble(-1, 1);
        return NdArray.of(shape, v);
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
