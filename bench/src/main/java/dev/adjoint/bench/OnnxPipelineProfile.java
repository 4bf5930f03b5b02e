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
 * pipeline makes slower. Arguments: MODEL.onnx, batch (default 1), runs (default 20), top (default 6),
 * clock ({@code wall}, the default, or {@code cpu}: one thread and its thread CPU time per step, the
 * figure a shared machine does not inflate; under load the wall clock on the default pool charges a
 * step for waiting on a descheduled worker, most likely: ShuffleNet's global pool 446 us wall, 29 us thread CPU).
 */
public final class OnnxPipelineProfile {
    private OnnxPipelineProfile() {}

    public static void main(String[] args) throws IOException {
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int top = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        boolean cpu = args.length > 4 && args[4].equals("cpu");
        if (args.length > 4 && !cpu && !args[4].equals("wall")) throw new IllegalArgumentException("clock: wall or cpu, got " + args[4]);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier clock = cpu ? mx::getCurrentThreadCpuTime : System::nanoTime;
        List<Tensor> outs = new ArrayList<>(Onnx.load(Path.of(args[0]), LoadOptions.defaults().withBatch(batch)).outputs().values());
        for (Pipeline p : List.of(Pipeline.O1, Pipeline.O2)) {
            CompileOptions o = CompileOptions.defaults().withPipeline(p);
            Plan plan = Cpu.compile(outs, cpu ? o.withSplitter(dev.adjoint.kernels.WorkSplitter.SERIAL) : o);
            Object[] feeds = new Object[plan.inputs().size()];
            for (int i = 0; i < feeds.length; i++) {
                Tensor in = plan.inputs().get(i);
                if (in.dtype() != dev.adjoint.graph.DType.F32) throw new IllegalArgumentException("input " + in + ": only f32 inputs, got " + in.dtype());
                float[] f = new float[in.shape().size()];
                Arrays.fill(f, 0.1f);
                feeds[i] = f;
            }
            System.out.println("== " + args[0] + ", " + p.name() + ", " + plan.stepCount() + " steps, " + (cpu ? "thread CPU, 1 thread" : "wall") + ", load average "
                    + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            StepProfile.of(plan, feeds, Math.max(1, runs / 2), clock); // warm-up: the first runs time the JIT
            System.out.println(StepProfile.of(plan, feeds, runs, clock).report(top));
        }
    }
}
