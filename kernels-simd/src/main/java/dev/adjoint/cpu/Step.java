package dev.adjoint.cpu;

import dev.adjoint.kernels.WorkSplitter;

/**
 * One kernel call of a compiled plan. Everything a step needs but the buffers (shapes, strides,
 * programs, workspaces) is fixed when the plan is compiled, so running it allocates nothing.
 */
interface Step {
    /** Runs the kernel over the plan's buffers. */
    void run(Object[] buffers, WorkSplitter splitter);

    /** The buffer this step writes. */
    int output();

    /** What the step does, for plan descriptions and errors, e.g. {@code "fused 3 ops"}. */
    String kernel();
}
