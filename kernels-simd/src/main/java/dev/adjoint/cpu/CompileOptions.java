package dev.adjoint.cpu;

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
 */
public record CompileOptions(WorkSplitter splitter, boolean optimize, boolean checkNaN) {
    /** Requires a splitter. */
    public CompileOptions { Objects.requireNonNull(splitter, "splitter"); }

    /** The defaults: the shared pool, optimizer on, no NaN checks. */
    public static CompileOptions defaults() { return new CompileOptions(Cpu.defaultPool(), true, false); }

    /** These options with another splitter. */
    public CompileOptions withSplitter(WorkSplitter s) { return new CompileOptions(s, optimize, checkNaN); }

    /** These options with NaN checks on or off. */
    public CompileOptions withNaNChecks(boolean on) { return new CompileOptions(splitter, optimize, on); }

    /** These options with the optimizer on or off. */
    public CompileOptions withOptimizer(boolean on) { return new CompileOptions(splitter, on, checkNaN); }
}
