package dev.adjoint.cpu;

import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.pass.Pipeline;
import dev.adjoint.graph.pass.Rewritten;
import dev.adjoint.kernels.ThreadPool;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU executor's entry point: {@code compile} once, then {@link Plan#run} many times.
 *
 * <pre>{@code
 * Plan plan = Cpu.compile(List.of(loss, gradW));
 * plan.run(Map.of(x, batch, w, weights));
 * float lossValue = plan.output(0)[0];
 * }</pre>
 */
public final class Cpu {
    private Cpu() {}

    private static final class Holder {
        static final ThreadPool POOL = ThreadPool.create();
    }

    /** The process-wide thread pool, sized to the machine, created on first use. */
    public static ThreadPool defaultPool() { return Holder.POOL; }

    /** Compiles a plan computing {@code outputs} with the default options. */
    public static Plan compile(List<Tensor> outputs) { return compile(outputs, CompileOptions.defaults()); }

    /** Compiles a plan computing {@code outputs}: run the pass pipeline, schedule, choose kernels, assign buffers. */
    public static Plan compile(List<Tensor> outputs, CompileOptions options) {
        Pipeline.Options run = options.verifyPasses() ? Pipeline.Options.fast().withVerifyNumerics(true) : Pipeline.Options.fast();
        Rewritten r = options.effectivePipeline().run(outputs, run).rewritten();
        List<Tensor> originals = new ArrayList<>(r.inputs().keySet());
        originals.sort((a, b) -> Integer.compare(a.id(), b.id()));
        List<Tensor> rewritten = new ArrayList<>();
        for (Tensor t : originals) rewritten.add(r.inputs().get(t));
        Lowering.Result lowered = Lowering.lower(r.graph(), r.outputs(), rewritten, options.splitter().threads());
        return new Plan(lowered, originals, outputs, options, new Plan.Source(r.graph(), r.outputs(), rewritten));
    }
}
