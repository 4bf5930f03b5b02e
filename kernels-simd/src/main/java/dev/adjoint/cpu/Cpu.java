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

    /**
     * Compiles a plan whose output {@code o} is written into the array fed for input
     * {@code donations.get(o)} (buffer donation, for state updated in place: a new parameter
     * replacing the old one). After a run, {@code output(o)} is that fed array, now holding the new
     * value; its old value is gone. Donating an input the plan does not read is a no-op.
     *
     * @param donations output index to the input whose array it takes
     * @throws IllegalArgumentException naming the output, the input and the reason if a donation is unsafe: a step
     *     reads the input after the output is written, or the types or sizes differ
     */
    public static Plan compile(List<Tensor> outputs, CompileOptions options, java.util.Map<Integer, Tensor> donations) {
        Plan p = compile(outputs, options);
        p.donate(donations);
        return p;
    }

    /** Compiles a plan computing {@code outputs}: run the pass pipeline, schedule, choose kernels, assign buffers. */
    public static Plan compile(List<Tensor> outputs, CompileOptions options) {
        Pipeline.Options run = options.verifyPasses() ? Pipeline.Options.fast().withVerifyNumerics(true) : Pipeline.Options.fast();
        Rewritten r = options.effectivePipeline().run(outputs, run).rewritten();
        List<Tensor> originals = new ArrayList<>(r.inputs().keySet());
        originals.sort((a, b) -> Integer.compare(a.id(), b.id()));
        List<Tensor> rewritten = new ArrayList<>();
        for (Tensor t : originals) rewritten.add(r.inputs().get(t));
        Lowering.Result lowered = Lowering.lower(r.graph(), r.outputs(), rewritten, options.splitter().threads(), null,
                options.memoryBudget());
        return new Plan(lowered, originals, outputs, options, new Plan.Source(r.graph(), r.outputs(), rewritten));
    }
}
