package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
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
        // GEMM, fused elementwise, reductions over inner and outer axes, a broadcast, a transpose view.
        List<Tensor> outs = List.of(Nn.softmax(h, 1), h.sum(0), h.mT().reduceMax(1), h.mean());
        Plan plan = Cpu.compile(outs, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
        float[][] feeds = new float[plan.inputs().size()][];
        for (int i = 0; i < feeds.length; i++) {
            feeds[i] = new float[plan.inputs().get(i).shape().size()];
            for (int j = 0; j < feeds[i].length; j++) feeds[i][j] = (j % 13 - 6) / 10f;
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        // Enough runs for every kernel, even one called once per run, to reach C2 (~10k calls):
        // interpreted and C1 code runs the Vector API's allocating fallback.
        for (int i = 0; i < 30000; i++) plan.run(feeds);
        long before = threads.getThreadAllocatedBytes(me);
        int runs = 1000;
        for (int i = 0; i < runs; i++) plan.run(feeds);
        double perRun = (threads.getThreadAllocatedBytes(me) - before) / (double) runs;
        // 0 when warm; the bound leaves room for a rare deoptimization, not for per-call arrays.
        assertTrue(perRun < 32, perRun + " bytes allocated per run\n" + plan.describe());
    }
}
