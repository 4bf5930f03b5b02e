package dev.adjoint.graph.pass;

import java.util.List;

/** The built-in passes. Each has a name (for {@link Pipeline#without} and {@code --dump-after}) and a description. */
public final class Passes {
    private Passes() {}

    /** {@code dce}: copies only the nodes the outputs need (this also prunes gradients nobody reads). */
    public static final Pass DCE = Pass.of("dce", "dead-code elimination: only what the outputs need is kept, e.g. unread gradients",
            outs -> Rebuild.run(outs, Rebuild.COPY));

    /** {@code cse}: shares equal nodes (op records compare by value), e.g. forward work repeated by the backward pass. */
    public static final Pass CSE = Pass.of("cse", "common-subexpression elimination, across forward and backward",
            outs -> {
                Rebuild.Cse cse = new Rebuild.Cse();
                return Rebuild.run(outs, (dst, src, in) -> cse.unique(dst, src.op(), in));
            });

    /** {@code simplify}: the {@link Optimizer} in one sweep, as {@code Cpu.compile} always ran it. */
    public static final Pass SIMPLIFY = Pass.of("simplify", "the Optimizer: algebraic rules, transpose folding into dot_general, "
            + "constant folding, CSE, DCE", Optimizer::optimize);

    /** {@code algebraic}: the {@link AlgebraicRules} to a fixed point. */
    public static final Pass ALGEBRAIC = AlgebraicRules.SET.asPass();

    /** {@code layout}: {@link LayoutRules}. */
    public static final Pass LAYOUT = LayoutRules.SET.asPass();

    /** {@code gradient}: {@link GradientRules}. */
    public static final Pass GRADIENT = GradientRules.SET.asPass();

    /** {@code activation-masks}: {@link ActivationMasks} (relu's gradient mask reads the relu's output, so the relu folds into a GEMM epilogue). */
    public static final Pass ACTIVATION_MASKS = ActivationMasks.PASS;

    /** {@code fold-batch-norm}: {@link BatchNormFolding}. */
    public static final Pass FOLD_BATCH_NORM = BatchNormFolding.SET.asPass();

    /** {@code remat}: {@link Rematerialization} under a budget of {@code bytes} (graph-level liveness). */
    public static Pass rematerialize(long bytes) {
        return new Pass() {
            @Override public String name() { return "remat"; }
            @Override public String description() { return "recompute cheap elementwise values for late readers until the liveness peak is under " + bytes + " B"; }
            @Override public Rewritten apply(List<dev.adjoint.graph.Tensor> outputs, java.util.function.Consumer<String> warnings) {
                return Rematerialization.apply(outputs, bytes, warnings);
            }
        };
    }

    /** Every fixed built-in pass, for listings. */
    public static final List<Pass> ALL = List.of(DCE, CSE, SIMPLIFY, ALGEBRAIC, LAYOUT, GRADIENT, ACTIVATION_MASKS, FOLD_BATCH_NORM);
}
