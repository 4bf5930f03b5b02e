package dev.adjoint.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.MemoryReport;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.pass.Pipeline;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: the CNN training step under a memory budget plans at least 20% fewer bytes and computes
 * bitwise the same. (It was 30% of a 6.48 MB default plan while max pooling was a composite whose
 * gradient held four 600 KB pads at once; with the window_max primitive the default plan is 3.50 MB
 * and the best reachable 2.64 MB, -24.6%: docs/PERFORMANCE.md.)
 */
class TrainStepBudgetTest {
    static List<Tensor> step(ModelChoice m, int batch) {
        var step = dev.adjoint.train.TrainStep.of(m.build(null), dev.adjoint.train.Sgd.of(0.05, 0.9), dev.adjoint.graph.Nn::crossEntropy);
        int[] dims = m.inputDims(batch);
        var x = dev.adjoint.train.HostArray.f32(new float[Arrays.stream(dims).reduce(1, (a, b) -> a * b)], dims);
        return step.trace(new dev.adjoint.train.Batch(x, dev.adjoint.train.HostArray.i32(new int[batch], batch))).outputs();
    }

    @Test void theCnnStepUnderABudgetIsTwentyPercentSmallerAndBitwiseTheSame() {
        List<Tensor> outs = step(ModelChoice.cnn, 32);
        // Without the activation-masks pass the relu masks read the pre-activations, which keeps them
        // alive into the backward pass: the values recomputation exists for. (With the pass, packing
        // alone meets the budget, 33% below the default plan: see the next test.)
        CompileOptions o = CompileOptions.defaults().withPipeline(Pipeline.O2.without("activation-masks"));
        Plan base = Cpu.compile(outs, o);
        Plan small = Cpu.compile(outs, o.withMemoryBudget(base.plannedPeakBytes() * 76 / 100));
        MemoryReport r = small.memoryReport();
        assertTrue(r.plannedPeakBytes() <= base.plannedPeakBytes() * 0.8, r.toString());
        assertFalse(r.recomputed().isEmpty(), r.toString());
        Map<Tensor, Object> feeds = OptimizeCommand.feeds(base);
        for (int run = 0; run < 2; run++) {
            base.run(feeds);
            small.run(feeds);
            for (int i = 0; i < outs.size(); i++) {
                assertArrayEquals(base.outputAsDoubles(i), small.outputAsDoubles(i), "output " + i + "\n" + r);
            }
        }
    }

    /** With the default pipeline (relu masks read the relu's output) the same budget is met, by packing alone, as small or smaller. */
    @Test void withActivationMasksTheBudgetIsMetWithoutRecomputingAndBitwiseTheSame() {
        List<Tensor> outs = step(ModelChoice.cnn, 32);
        CompileOptions o = CompileOptions.defaults().withPipeline(Pipeline.O2);
        Plan base = Cpu.compile(outs, o);
        Plan small = Cpu.compile(outs, o.withMemoryBudget(base.plannedPeakBytes() * 76 / 100));
        CompileOptions without = CompileOptions.defaults().withPipeline(Pipeline.O2.without("activation-masks"));
        Plan old = Cpu.compile(outs, without.withMemoryBudget(Cpu.compile(outs, without).plannedPeakBytes() * 76 / 100));
        MemoryReport r = small.memoryReport();
        assertTrue(r.plannedPeakBytes() <= base.plannedPeakBytes() * 0.8, r.toString());
        assertTrue(r.plannedPeakBytes() <= old.plannedPeakBytes(), r + "\nwithout the pass:\n" + old.memoryReport());
        Map<Tensor, Object> feeds = OptimizeCommand.feeds(base);
        for (int run = 0; run < 2; run++) {
            base.run(feeds);
            small.run(feeds);
            old.run(feeds);
            for (int i = 0; i < outs.size(); i++) {
                assertArrayEquals(base.outputAsDoubles(i), small.outputAsDoubles(i), "output " + i + "\n" + r);
                assertArrayEquals(base.outputAsDoubles(i), old.outputAsDoubles(i), "output " + i + " without the pass");
            }
        }
    }
}
