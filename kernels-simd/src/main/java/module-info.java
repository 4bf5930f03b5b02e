/**
 * Adjoint's CPU back end: the executor ({@code dev.adjoint.cpu}: {@code Cpu.compile} and
 * {@code Plan}) and the Vector API kernels it runs ({@code dev.adjoint.kernels}).
 *
 * <p>The Vector API is {@code requires static}: a JVM started without
 * {@code --add-modules jdk.incubator.vector} still links this module, and the kernels run their
 * scalar fallbacks.
 */
module dev.adjoint.kernels {
    requires transitive dev.adjoint.graph;
    requires static jdk.incubator.vector;
    requires it.unimi.dsi.fastutil.core;

    exports dev.adjoint.cpu;
    // The executor's API names WorkSplitter and ThreadPool (CompileOptions.withSplitter,
    // Cpu.defaultPool), and the benchmarks drive kernels directly: exported as a whole.
    exports dev.adjoint.kernels;
}
