package dev.adjoint.graph.pass;

import java.util.List;

/**
 * What one pass did.
 *
 * @param pass the pass name
 * @param nodesBefore node count of the graph the outputs need, before
 * @param nodesAfter node count after
 * @param flopsBefore estimated floating-point operations before ({@link Cost#flops})
 * @param flopsAfter estimated FLOPs after
 * @param peakBytesBefore planned peak bytes before (the pipeline's estimator: graph-level liveness by default)
 * @param peakBytesAfter planned peak bytes after
 * @param nanos time the pass took, including its verification
 * @param warnings non-fatal remarks of the pass
 */
public record PassReport(String pass, int nodesBefore, int nodesAfter, long flopsBefore, long flopsAfter,
        long peakBytesBefore, long peakBytesAfter, long nanos, List<String> warnings) {
    /** Copies the warnings. */
    public PassReport { warnings = List.copyOf(warnings); }

    /** The header of {@link #row()}'s table. */
    public static String header() {
        return String.format("%-16s %8s %8s %12s %12s %12s %12s %9s", "pass", "nodes", "after", "MFLOP", "after",
                "peak KiB", "after", "ms");
    }

    /** One line of the per-pass table. */
    public String row() {
        return String.format("%-16s %8d %8d %12.3f %12.3f %12.1f %12.1f %9.2f", pass, nodesBefore, nodesAfter, flopsBefore / 1e6,
                flopsAfter / 1e6, peakBytesBefore / 1024.0, peakBytesAfter / 1024.0, nanos / 1e6);
    }

    /** The table of several reports, header first, warnings after their pass. */
    public static String table(List<PassReport> reports) {
        StringBuilder sb = new StringBuilder(header()).append('\n');
        for (PassReport r : reports) {
            sb.append(r.row()).append('\n');
            for (String w : r.warnings()) sb.append("  warning: ").append(w).append('\n');
        }
        return sb.toString();
    }
}
