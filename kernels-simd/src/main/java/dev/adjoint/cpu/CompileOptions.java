package dev.adjoint.cpu;

import dev.adjoint.graph.pass.Pipeline;
import dev.adjoint.kernels.WorkSplitter;
import java.util.Objects;

/**
 * How {@link Cpu#compile} builds a plan.
 *
 * @param splitter the threads kernels split their work over ({@link Cpu#defaultPool()} by default,
 *     {@link WorkSplitter#SERIAL} for one thread); results are the same whatever the choice
 * @param optimize run the graph optimizer first (on by default)
 * @param checkNaN after every step, check its output for NaN and fail naming the node that made it
 *     (off by default: it costs a pass over every intermediate)
 * @param pipeline the graph passes run when {@code optimize} is on ({@link Pipeline#DEFAULT}, the
 *     optimizer as it always ran, unless set; {@link Pipeline#O0} runs when it is off)
 * @param memoryBudget if positive, the plan's planned peak ({@link Plan#plannedPeakBytes()}) must be
 *     at most this many bytes: the buffer planner runs cheap elementwise steps (fused chains, copies)
 *     again before their late readers instead of keeping their results alive, chosen by cost
 *     (see {@link Plan#memoryReport()}); a budget it cannot reach fails the compile with the best
 *     peak it found. The graph-level pass {@code Passes.rematerialize} is a separate, explicit pass.
 * @param verifyPasses debug mode: verify the graph (structure and, with the reference interpreter,
 *     values on random inputs) after every pass, naming the pass that breaks it
 * @param readOnlyOutputs the caller promises never to write into the plan's output arrays, which
 *     lets a scatter into zeros (an embedding's gradient) clear only the rows it wrote on the last
 *     run instead of its whole output (off by default: a caller that edits an output in place
 *     would otherwise get a wrong result on the next run)
 */
public record CompileOptions(WorkSplitter splitter, boolean optimize, boolean checkNaN, Pipeline pipeline, long memoryBudget,
        boolean verifyPasses, boolean readOnlyOutputs) {
    /** Requires a splitter and a pipeline. */
    public CompileOptions {
        Objects.requireNonNull(splitter, "splitter");
        Objects.requireNonNull(pipeline, "pipeline");
    }

    /** The options as they were before pipelines: the default pipeline, no budget, no verification. */
    public CompileOptions(WorkSplitter splitter, boolean optimize, boolean checkNaN) {
        this(splitter, optimize, checkNaN, Pipeline.DEFAULT, 0, false, false);
    }

    /** The defaults: the shared pool, optimizer on, no NaN checks. */
    public static CompileOptions defaults() { return new CompileOptions(Cpu.defaultPool(), true, false); }

    /** These options with another pass pipeline (and the optimizer on). */
    public CompileOptions withPipeline(Pipeline p) { return new CompileOptions(splitter, true, checkNaN, p, memoryBudget, verifyPasses, readOnlyOutputs); }

    /**
     * These options with rematerialization in the buffer planner down to {@code bytes} of planned
     * peak (0: none); see {@link #memoryBudget}. Results are bitwise those of the plan without a budget.
     */
    public CompileOptions withMemoryBudget(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("memory budget " + bytes + " must be >= 0");
        return new CompileOptions(splitter, optimize, checkNaN, pipeline, bytes, verifyPasses, readOnlyOutputs);
    }

    /** These options with every pass verified (debug mode) or not. */
    public CompileOptions withVerifiedPasses(boolean on) { return new CompileOptions(splitter, optimize, checkNaN, pipeline, memoryBudget, on, readOnlyOutputs); }

    /** The pipeline {@code Cpu.compile} runs: the chosen one, or O0 with the optimizer off (the budget acts in the planner, not here). */
    public Pipeline effectivePipeline() {
        return optimize ? pipeline : Pipeline.O0;
    }

    /** These options with the caller's promise that output arrays are never written to (see {@link #readOnlyOutputs}). */
    public CompileOptions withReadOnlyOutputs(boolean on) {
        return new CompileOptions(splitter, optimize, checkNaN, pipeline, memoryBudget, verifyPasses, on);
    }

    /** These options with another splitter. */
    public CompileOptions withSplitter(WorkSplitter s) { return new CompileOptions(s, optimize, checkNaN, pipeline, memoryBudget, verifyPasses, readOnlyOutputs); }

    /** These options with NaN checks on or off. */
    public CompileOptions withNaNChecks(boolean on) { return new CompileOptions(splitter, optimize, on, pipeline, memoryBudget, verifyPasses, readOnlyOutputs); }

    /** These options with the optimizer on or off. */
    public CompileOptions withOptimizer(boolean on) { return new CompileOptions(splitter, on, checkNaN, pipeline, memoryBudget, verifyPasses, readOnlyOutputs); }
}
