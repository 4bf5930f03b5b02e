package dev.adjoint.bench;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.cpu.StepProfile;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.pass.Pipeline;
import dev.adjoint.onnx.LoadOptions;
import dev.adjoint.onnx.Onnx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Issue 12: where an imported ONNX model's inference spends its time under O1 and under O2, step by
 * step ({@link StepProfile} tables: per kernel family, then the slowest steps), to name the step a
 * pipeline makes slower. Arguments: MODEL.onnx, batch (default 1), runs (default 20), top (default 6).
 */
public final class OnnxPipelineProfile {
    private OnnxPipelineProfile() {}

    public static void main(String[] args) throws IOException {
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int top = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        List<Tensor> outs = new ArrayList<>(Onnx.load(Path.of(args[0]), LoadOptions.defaults().withBatch(batch)).outputs().values());
        for (Pipeline p : List.of(Pipeline.O1, Pipeline.O2)) {
            Plan plan = Cpu.compile(outs, CompileOptions.defaults().withPipeline(p));
            Object[] feeds = new Object[plan.inputs().size()];
            for (int i = 0; i < feeds.length; i++) {
                Tensor in = plan.inputs().get(i);
                if (in.dtype() != dev.adjoint.graph.DType.F32) throw new IllegalArgumentException("input " + in + ": only f32 inputs, got " + in.dtype());
                float[] f = new float[in.shape().size()];
                Arrays.fill(f, 0.1f);
                feeds[i] = f;
            }
            System.out.println("== " + args[0] + ", " + p.name() + ", " + plan.stepCount() + " steps, load average "
                    + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.println(StepProfile.of(plan, feeds, runs, System::nanoTime).report(top));
        }
    }
}
