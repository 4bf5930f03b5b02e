package dev.adjoint.cpu;

import java.util.List;

/**
 * What a plan's memory is made of, and what it recomputes to stay under its budget
 * ({@link CompileOptions#withMemoryBudget}); from {@link Plan#memoryReport()}.
 *
 * @param plannedPeakBytes every array the plan allocates ({@link Plan#plannedPeakBytes()}): the sum of the parts below
 * @param constantBytes the constants' arrays (weights folded into the graph)
 * @param outputBytes the outputs' own arrays
 * @param scratchBytes the arrays the intermediates share by liveness
 * @param workspaceBytes kernel workspaces (per-thread fused-program scratch, f64 GEMM)
 * @param liveScratchBytes intermediates live at the plan's worst step: the floor under {@code scratchBytes}
 *     (the rest is fragmentation: arrays are never split)
 * @param defaultPeakBytes the planned peak of the same schedule as planned without a budget
 * @param packedPeakBytes the planned peak with the budget's tighter packing (largest buffers first,
 *     elementwise passes writing over inputs they read last) but nothing recomputed
 * @param budgetBytes the budget asked for (0: none)
 * @param recomputed the values the plan computes again before their late readers instead of keeping them, in schedule order
 */
public record MemoryReport(long plannedPeakBytes, long constantBytes, long outputBytes, long scratchBytes, long workspaceBytes,
        long liveScratchBytes, long defaultPeakBytes, long packedPeakBytes, long budgetBytes, List<Recomputed> recomputed) {

    /** Copies the list. */
    public MemoryReport {
        recomputed = List.copyOf(recomputed);
    }

    /**
     * One recomputation: a cheap elementwise step run a second time right before a late reader, so
     * that its buffer is free in between.
     *
     * @param node the value, as {@code %id op type[shape]}
     * @param kernel the step's kernel (e.g. {@code fused 3 elementwise ops})
     * @param step where the copy runs in the plan's schedule ({@link Plan#describe()} numbering)
     * @param bytes the value's size
     */
    public record Recomputed(String node, String kernel, int step, long bytes) {}

    /** A few lines for people: the parts, the saving and each recomputed value. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("planned peak %d B (constants %d, outputs %d, scratch %d, workspaces %d; live scratch at the worst step %d)%n",
                plannedPeakBytes, constantBytes, outputBytes, scratchBytes, workspaceBytes, liveScratchBytes));
        if (budgetBytes > 0) {
            sb.append(String.format("budget %d B; default plan %d B, tighter packing alone %d B, with %d values recomputed %d B (%.1f%% below default)%n",
                    budgetBytes, defaultPeakBytes, packedPeakBytes, recomputed.size(), plannedPeakBytes,
                    100.0 * (defaultPeakBytes - plannedPeakBytes) / Math.max(1, defaultPeakBytes)));
        }
        for (Recomputed r : recomputed) sb.append("  recompute at step ").append(r.step()).append(": ").append(r.node())
                .append(" (").append(r.kernel()).append(", ").append(r.bytes()).append(" B)\n");
        return sb.toString();
    }
}
