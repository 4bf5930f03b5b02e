package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A warm plan allocates nothing per run: kernels get their loop structure and scratch at compile time. */
class PlanAllocationTest {

    @Test void aWarmPlanAllocatesNothingPerRun() {
        Graph g = new Graph();
        Tensor x = g.input("x", 32, 40), w = g.input("w", 40, 16), b = g.input("b", 16);
        Tensor h = Nn.linear(x, w, b).relu();
        // GEMM, fused elementwise, reductions over inner and outer axes, a broadcast, a transpose view,
        // and a materialized transpose (the tiled copy).
        List<Tensor> outs = List.of(Nn.softmax(h, 1), h.sum(0), h.mT().reduceMax(1), h.mean(), h.mT());
        assertNoAllocation(outs);
    }

    @Test void aWarmF64PlanAllocatesNothingPerRun() {
        Graph g = new Graph();
        Tensor x = g.input("x", DType.F64, 32, 40), w = g.input("w", DType.F64, 40, 16), b = g.input("b", DType.F64, 16);
        Tensor h = Nn.linear(x, w, b).relu();
        // f64 GEMM, typed fused chains, f64 reductions, cumsum and an argmax.
        assertNoAllocation(List.of(Nn.softmax(h, 1), h.sum(0), h.mT().reduceMax(1), h.cumsum(1), h.argmax(1), h.reduceMin(0).erf()));
    }

    @Test void aWarmEmbeddingPlanAllocatesNothingPerRun() {
        Graph g = new Graph();
        Tensor w = g.input("w", 500, 32), ids = g.input("ids", DType.I32, 64), up = g.input("up", 64, 32);
        Tensor grad = g.fill(0, DType.F32, 500, 32).scatterAdd(ids.broadcastInDim(Shape.of(64, 32), 0), up, 0);
        Tensor key = g.input("key", DType.I32, 2);
        Tensor bits = g.add(new RandomBits(Shape.of(100)), key);
        assertNoAllocation(List.of(w.gather(ids, 0).mul(up).sum(), grad, up.takeAlongAxis(ids.reshape(64, 1).rem(g.constant(32, DType.I32)), 1),
                bits.ne(g.constant(0, DType.I32))));
    }

    @Test void aWarmConvEpiloguePlanAllocatesNothingPerRun() {
        // conv + bias + ReLU6 and depthwise conv + bias folded into the convs (FusionRegions.ConvFusion):
        // the epilogue with a fed bias is built once, not per run.
        Graph g = new Graph();
        // Small: this runs on the scalar fallback too (30000 warm runs).
        Tensor x = g.input("x", 1, 5, 4, 2), k = g.input("k", 3, 3, 2, 16), b = g.input("b", 16);
        Tensor kd = g.input("kd", 3, 3, 1, 16), bd = g.input("bd", 16);
        Tensor c = Nn.conv(x, k, new int[] {1, 1}, new int[] {1, 1});
        Tensor h = c.add(b.broadcastInDim(c.shape(), 3)).max(0.0).min(6.0);
        Tensor d = Nn.conv(h, kd, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 16);
        assertNoAllocation(List.of(d.add(bd.broadcastInDim(d.shape(), 3)).relu()));
    }

    @Test void aWarmMaxPoolPlanAllocatesNothingPerRun() {
        Graph g = new Graph();
        List<Tensor> outs = new java.util.ArrayList<>();
        Window disjoint = Window.of(new int[] {1, 2, 2, 1}, new int[] {1, 2, 2, 1});
        Window overlapping = new Window(Ints.of(1, 3, 3, 1), Ints.of(1, 2, 2, 1), Ints.of(0, 1, 1, 0), Ints.of(0, 1, 1, 0), Ints.of(1, 1, 1, 1));
        for (DType t : List.of(DType.F32, DType.F64)) {
            for (int c : new int[] {1, 6}) {
                Tensor x = g.input("x", t, 4, 8, 8, c), tan = g.input("t", t, 4, 8, 8, c);
                for (Window w : List.of(disjoint, overlapping)) {
                    Tensor y = g.add(new WindowMax(w), x);
                    outs.add(y);
                    outs.add(g.add(new WindowMaxGather(w), x, tan));
                    outs.add(g.add(new WindowMaxScatter(w), x, y.mul(y)));
                }
            }
        }
        assertNoAllocation(outs);
    }

    @Test void aWarmPlanUnderAMemoryBudgetAllocatesNothingPerRun() {
        // Recomputed steps are the same step objects run again: still nothing allocated per run.
        List<Tensor> outs = RecomputeTest.lateReader(new Graph());
        CompileOptions o = CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL);
        long packed = Cpu.compile(outs, o.withMemoryBudget(Long.MAX_VALUE / 2)).memoryReport().packedPeakBytes();
        Plan plan = RecomputeTest.underBudget(outs, o, packed - 1);
        assertTrue(!plan.recomputed().isEmpty(), plan.memoryReport().toString());
        assertNoAllocation(plan);
    }

    @Test void aWarmPlanRunningStepsInParallelAllocatesNothingPerRun() {
        // On a 2-thread pool: independent GEMMs in the two lanes of a stage, other steps split; the
        // pool's hand-offs reuse one job object.
        try (dev.adjoint.kernels.ThreadPool pool = new dev.adjoint.kernels.ThreadPool(2)) {
            Graph g = new Graph();
            List<Tensor> outs = new java.util.ArrayList<>(StepScheduleTest.twoBranches(g, 96));
            Plan plan = Cpu.compile(outs, CompileOptions.defaults().withSplitter(pool));
            assertTrue(plan.scheduleForTest().anyPaired(), plan.describe());
            assertNoAllocation(plan);
        }
    }

    // Vector kernels only: the scalar fallback's GEMM is not split, and 45k runs of it take minutes.
    @org.junit.jupiter.api.condition.DisabledIfSystemProperty(named = "adjoint.expectScalar", matches = "true")
    @Test void aWarmPlanSplittingAGemmOverTwoThreadsAllocatesNothingPerRun() {
        // 64x128x128 (2 MFLOP) is split on a 2-thread pool around one shared packed B, whose group
        // states and panel live in the step's workspace.
        try (dev.adjoint.kernels.ThreadPool pool = new dev.adjoint.kernels.ThreadPool(2)) {
            Graph g = new Graph();
            Tensor x = g.input("x", 64, 128), w = g.input("w", 128, 128);
            assertNoAllocation(Cpu.compile(List.of(x.matmul(w)), CompileOptions.defaults().withSplitter(pool)));
        }
    }

    private static void assertNoAllocation(List<Tensor> outs) {
        assertNoAllocation(Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL)));
    }

    private static void assertNoAllocation(Plan plan) {
        Object[] feeds = new Object[plan.inputs().size()];
        for (int i = 0; i < feeds.length; i++) {
            int n = plan.inputs().get(i).shape().size();
            feeds[i] = switch (plan.inputs().get(i).dtype()) {
                case F32 -> { float[] f = new float[n]; for (int j = 0; j < n; j++) f[j] = (j % 13 - 6) / 10f; yield f; }
                case F64 -> { double[] f = new double[n]; for (int j = 0; j < n; j++) f[j] = (j % 13 - 6) / 10.0; yield f; }
                case I32 -> { int[] f = new int[n]; for (int j = 0; j < n; j++) f[j] = (j * 7) % 31; yield f; }
                case I64 -> { long[] f = new long[n]; for (int j = 0; j < n; j++) f[j] = (j * 7) % 31; yield f; }
                case BOOL -> new boolean[n];
            };
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        // Enough runs for every kernel, even one called once per run, to reach C2 (~10k calls):
        // interpreted and C1 code runs the Vector API's allocating fallback.
        for (int i = 0; i < 30000; i++) plan.run(feeds);
        // The least of up to five windows, each after more warm runs: an allocation the plan makes per
        // run shows in every window, while a late C2 compilation or deoptimization shows in some only
        // (seen in CI: 928 B per run in one window; on a machine at load 14, 1120 B in three windows
        // in a row, with the C2 queue behind).
        int runs = 1000;
        double perRun = Double.MAX_VALUE;
        for (int w = 0; w < 5 && perRun >= 32; w++) {
            if (w > 0) for (int i = 0; i < 10000; i++) plan.run(feeds);
            long before = threads.getThreadAllocatedBytes(me);
            for (int i = 0; i < runs; i++) plan.run(feeds);
            perRun = Math.min(perRun, (threads.getThreadAllocatedBytes(me) - before) / (double) runs);
        }
        // 0 when warm; the bound leaves room for a rare deoptimization, not for per-call arrays.
        assertTrue(perRun < 32, perRun + " bytes allocated per run\n" + plan.describe());
    }
}
