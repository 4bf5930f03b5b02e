package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The executor folds each linear layer's bias and relu into the GEMM
 * epilogue of an MLP's training step and forward pass (the executor's FusionRegions.Epilogue; a
 * small test in the train module because the step's graph comes from autodiff): the plans show
 * the fused steps, and the step's outputs match the float64 interpreter and are bitwise the same
 * on 1, 2 and 3 threads. Odd sizes: none is a multiple of the vector width.
 */
class GemmEpilogueStepTest {
    static final int BATCH = 67;
    static final Layer MLP = Sequential.of(Linear.of(131, 129), Activation.RELU, Linear.of(129, 37), Activation.RELU, Linear.of(37, 5));

    private static long count(Plan p, String kernel) {
        return p.describe().lines().filter(l -> l.contains("-> " + kernel + ", ")).count();
    }

    private static Map<Tensor, NdArray> feeds(List<Tensor> inputs) {
        SplittableRandom r = new SplittableRandom(11);
        Map<Tensor, NdArray> f = new HashMap<>();
        for (Tensor t : inputs) {
            double[] v = new double[t.shape().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = t.dtype() == DType.F32 ? (float) r.nextDouble(-0.5, 0.5) : r.nextInt(5); // labels in [0, 5), key words
            }
            f.put(t, new NdArray(t.dtype(), t.shape(), v));
        }
        return f;
    }

    private static Plan run(List<Tensor> outs, Map<Tensor, NdArray> feeds, WorkSplitter s) {
        Plan p = Cpu.compile(outs, CompileOptions.defaults().withSplitter(s));
        Map<Tensor, Object> in = new HashMap<>();
        feeds.forEach((t, v) -> {
            double[] d = v.data();
            if (t.dtype() == DType.F32) {
                float[] a = new float[d.length];
                for (int i = 0; i < d.length; i++) a[i] = (float) d[i];
                in.put(t, a);
            } else {
                int[] a = new int[d.length];
                for (int i = 0; i < d.length; i++) a[i] = (int) d[i];
                in.put(t, a);
            }
        });
        p.run(in);
        return p;
    }

    @Test void theTrainingStepFoldsEveryBiasIntoItsGemmAndMatchesTheInterpreter() {
        TrainStep step = TrainStep.of(MLP, Sgd.of(0.01, 0.9), Nn::crossEntropy);
        TrainStep.Trace t = step.trace(new Batch(HostArray.f32(new float[BATCH * 131], BATCH, 131), HostArray.i32(new int[BATCH], BATCH)));
        Map<Tensor, NdArray> f = feeds(t.inputs());
        Plan p = run(t.outputs(), f, WorkSplitter.SERIAL);
        // relu's gradient mask reads relu's output (the activation-masks pass), so nothing else reads
        // x W + b and the hidden layers' GEMMs apply bias and relu in the training step too; no relu step is left.
        assertEquals(1, count(p, "gemm 67x129x131 + bias (columns) + relu"), p.describe());
        assertEquals(1, count(p, "gemm 67x37x129 + bias (columns) + relu"), p.describe());
        assertEquals(1, count(p, "gemm 67x5x37 + bias (columns)"), p.describe());
        assertEquals(0, p.describe().lines().filter(l -> l.contains(" max f32[") && l.contains("-> elementwise")).count(), p.describe());
        List<NdArray> want = Interpreter.run(t.graph(), f, t.outputs());
        for (int o = 0; o < t.outputs().size(); o++) {
            double[] e = want.get(o).data(), a = p.outputAsDoubles(o);
            double scale = 0;
            for (double x : e) scale = Math.max(scale, Math.abs(x));
            for (int i = 0; i < e.length; i++) {
                assertTrue(Math.abs(e[i] - a[i]) <= 1e-4 * (1 + scale), "output " + o + " element " + i + ": " + e[i] + " vs " + a[i]);
            }
        }
        try (ThreadPool two = new ThreadPool(2); ThreadPool three = new ThreadPool(3)) {
            Plan p2 = run(t.outputs(), f, two), p3 = run(t.outputs(), f, three);
            for (int o = 0; o < t.outputs().size(); o++) {
                if (t.outputs().get(o).dtype() != DType.F32) continue;
                assertArrayEquals(p.output(o), p2.output(o), "output " + o + ", 2 threads");
                assertArrayEquals(p.output(o), p3.output(o), "output " + o + ", 3 threads");
            }
        }
    }

    @Test void theForwardPassIsThreeGemmsWithBiasAndRelu() {
        TrainStep step = TrainStep.of(MLP, Sgd.of(0.01, 0.9), Nn::crossEntropy);
        TrainStep.Trace t = step.traceForward(HostArray.f32(new float[BATCH * 131], BATCH, 131));
        Map<Tensor, NdArray> f = feeds(t.inputs());
        Plan p = run(t.outputs(), f, WorkSplitter.SERIAL);
        assertEquals(3, p.stepCount(), p.describe());
        assertEquals(1, count(p, "gemm 67x129x131 + bias (columns) + relu"), p.describe());
        assertEquals(1, count(p, "gemm 67x37x129 + bias (columns) + relu"), p.describe());
        assertEquals(1, count(p, "gemm 67x5x37 + bias (columns)"), p.describe());
        double[] e = Interpreter.run(t.graph(), f, t.outputs()).get(0).data(), a = p.outputAsDoubles(0);
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-4, "element " + i);
    }
}
