package dev.adjoint.cpu;

import dev.adjoint.kernels.WorkSplitter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a plan's run time goes: each step timed on its own by a clock the caller chooses (on one
 * thread, the thread's CPU time, which time-slicing on a shared machine does not inflate),
 * over many runs, reported as medians per step and summed per kernel family (GEMM, conv, fused
 * elementwise, reductions, copies, ...). A measuring tool, not a run mode: it calls the plan's
 * steps one by one on the plan's own buffers, so the plan itself runs unchanged.
 */
public final class StepProfile {
    /**
     * One step's time.
     *
     * @param step its index in the schedule
     * @param node the node it computes, e.g. {@code "%16 add f32[128, 512]"}
     * @param kernel what it runs ({@link Plan#describe()}'s kernel column)
     * @param elements elements it writes
     * @param medianNanos median time of one call, in nanoseconds (by the caller's clock)
     */
    public record Entry(int step, String node, String kernel, int elements, double medianNanos) {}

    private final List<Entry> entries;

    private StepProfile(List<Entry> entries) { this.entries = List.copyOf(entries); }

    /**
     * Runs {@code plan} once on {@code feeds} (which binds them), then times every step over
     * {@code runs} runs of the whole schedule.
     *
     * @param splitter the splitter the plan was compiled with (its steps' workspaces are sized for its thread count)
     * @param clock nanoseconds, e.g. {@code System::nanoTime} or a ThreadMXBean's {@code getCurrentThreadCpuTime}
     */
    public static StepProfile of(Plan plan, Object[] feeds, WorkSplitter splitter, int runs, java.util.function.LongSupplier clock) {
        if (runs < 1) throw new IllegalArgumentException("profile runs must be >= 1, got " + runs);
        plan.run(feeds);
        Step[] steps = plan.stepsForTest();
        Object[] buffers = plan.buffersForTest();
        long[][] t = new long[steps.length][runs];
        for (int r = 0; r < runs; r++) {
            for (int s = 0; s < steps.length; s++) {
                long t0 = clock.getAsLong();
                steps[s].run(buffers, splitter);
                t[s][r] = clock.getAsLong() - t0;
            }
        }
        List<Entry> out = new ArrayList<>();
        String[] lines = plan.describe().split("\n");
        for (int s = 0; s < steps.length; s++) {
            Arrays.sort(t[s]);
            double median = runs % 2 == 1 ? t[s][runs / 2] : (t[s][runs / 2 - 1] + t[s][runs / 2]) / 2.0;
            out.add(new Entry(s, nodeOf(lines[s]), steps[s].kernel(), elementsOf(lines[s]), median));
        }
        return new StepProfile(out);
    }

    /** "%16 add f32[128, 512]" from a line of {@link Plan#describe()}. */
    private static String nodeOf(String describeLine) {
        int start = describeLine.indexOf("node ") + 5, end = describeLine.indexOf(" (built at", start);
        return describeLine.substring(start, end < 0 ? describeLine.indexOf(" -> ", start) : end);
    }

    private static int elementsOf(String describeLine) {
        int end = describeLine.lastIndexOf(" elements"), start = describeLine.lastIndexOf(", ", end);
        return Integer.parseInt(describeLine.substring(start + 2, end));
    }

    /** The steps' times, in schedule order. */
    public List<Entry> entries() { return entries; }

    /** Sum of the steps' median times, in nanoseconds. */
    public double totalNanos() {
        double s = 0;
        for (Entry e : entries) s += e.medianNanos();
        return s;
    }

    /** The family a kernel belongs to: gemm (with or without epilogue), conv, elementwise, or the kernel's first word. */
    public static String family(String kernel) {
        if (kernel.startsWith("gemm")) return "gemm";
        if (kernel.startsWith("conv")) return "conv";
        if (kernel.contains("elementwise")) return "elementwise (fused chains)";
        if (kernel.startsWith("reduce_")) return "reduce";
        int sp = kernel.indexOf(' ');
        return sp < 0 ? kernel : kernel.substring(0, sp);
    }

    /** Median time summed per family, largest first, in nanoseconds. */
    public Map<String, double[]> byFamily() {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (Entry e : entries) {
            double[] v = m.computeIfAbsent(family(e.kernel()), k -> new double[2]);
            v[0] += e.medianNanos();
            v[1]++;
        }
        Map<String, double[]> sorted = new LinkedHashMap<>();
        m.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** A text report: per family (steps, microseconds, share), then the {@code top} slowest steps. */
    public String report(int top) {
        StringBuilder sb = new StringBuilder();
        double total = totalNanos();
        sb.append(String.format(Locale.ROOT, "| family | steps | us | share |%n|---|---:|---:|---:|%n"));
        for (var e : byFamily().entrySet()) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f%% |%n", e.getKey(), (int) e.getValue()[1], e.getValue()[0] / 1e3,
                    100 * e.getValue()[0] / total));
        }
        sb.append(String.format(Locale.ROOT, "| all | %d | %.1f | 100%% |%n%n", entries.size(), total / 1e3));
        List<Entry> slow = new ArrayList<>(entries);
        slow.sort((a, b) -> Double.compare(b.medianNanos(), a.medianNanos()));
        sb.append(String.format(Locale.ROOT, "| step | node | kernel | elements | us |%n|---:|---|---|---:|---:|%n"));
        for (Entry e : slow.subList(0, Math.min(top, slow.size()))) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %d | %.1f |%n", e.step(), e.node(), e.kernel(), e.elements(), e.medianNanos() / 1e3));
        }
        return sb.toString();
    }
}
