package dev.adjoint.bench.perf;

import dev.adjoint.cpu.Cpu;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code adjoint bench headline}: every {@link Headline} workload at each thread count, Adjoint
 * then its peer ({@code bench/peers/headline.py}) in the same session, rendered as the Markdown
 * table that docs/PERFORMANCE.md carries between {@link #BEGIN} and {@link #END}.
 */
public final class HeadlineReport {
    /** The marker lines around the generated table in a Markdown file. */
    public static final String BEGIN = "<!-- adjoint bench headline: begin (generated; edit bench/.../perf/HeadlineReport.java) -->",
            END = "<!-- adjoint bench headline: end -->";

    /**
     * One workload's timings at one thread count: Adjoint's, and the peer's when it ran, with
     * {@code ratio} the median over the interleaved window pairs of peer time / Adjoint time (NaN without a peer).
     */
    record Cell(Kernels.Timing adjoint, Kernels.Timing peer, String library, double ratio) {}

    /** Pause after each peer window: OpenBLAS's idle threads spin for about 2^28 cycles (~80 ms) before they sleep. */
    static final long PEER_QUIET_MILLIS = 120;

    private final List<String> ids;
    private final int[] threadCounts;
    private final int reps;
    private final long windowMillis;
    private final Map<String, Headline.Workload> workloads = new LinkedHashMap<>();
    private final Map<Integer, Map<String, Cell>> cells = new LinkedHashMap<>();
    private final Map<Integer, Limits> limits = new LinkedHashMap<>();
    /** Read bandwidth (GB/s) per thread count, the yardstick of the reduction rows ({@link ReadBandwidth}). */
    private final Map<Integer, Double> readGBs = new LinkedHashMap<>();
    /** The FMA-loop peak measured again after each thread count's block. */
    private final Map<Integer, Double> endPeaks = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private String startLoad, endLoad;
    private Instant started;

    /**
     * @param ids the workloads
     * @param threadCounts the thread counts to run each at
     * @param reps repetitions (windows) per workload
     * @param windowMillis each window's length
     */
    public HeadlineReport(List<String> ids, int[] threadCounts, int reps, long windowMillis) {
        this.ids = List.copyOf(ids);
        this.threadCounts = threadCounts.clone();
        this.reps = reps;
        this.windowMillis = windowMillis;
    }

    /**
     * Runs everything, printing progress lines to {@code progress}; {@code peers} false skips the peer script.
     * Per workload, Adjoint is warmed up and the peer warms up on its first window; then their windows
     * alternate (Adjoint first in even pairs, the peer first in odd ones), so both sides of a pair see the
     * machine in the same state. The FMA-loop peak is measured again at the end of each thread count's
     * block: a drop means the host moved the cores under the run.
     */
    public HeadlineReport run(PrintWriter progress, boolean peers) throws Exception {
        started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        startLoad = loadAverage();
        String why = peers ? Peers.unavailable(script()) : "not asked for (--no-peers)";
        if (why != null) notes.add("peers not run: " + why);
        for (int t : threadCounts) {
            WorkSplitter splitter = t == 1 ? WorkSplitter.SERIAL
                    : t == Runtime.getRuntime().availableProcessors() ? Cpu.defaultPool() : new ThreadPool(t);
            limits.put(t, Limits.measure(t, 300));
            readGBs.put(t, ReadBandwidth.measure(t, 300));
            Map<String, Cell> row = new LinkedHashMap<>();
            try (PeerSession peer = why == null ? PeerSession.start(script(), t) : null) {
                for (String id : ids) {
                    Headline.Workload w = Headline.build(id, splitter);
                    workloads.putIfAbsent(id, w);
                    Cell c = measure(w, peer);
                    row.put(id, c);
                    progress.printf(Locale.ROOT, "threads %d  %-20s %9.3f ms  (spread %.0f%%)%s%n", t, id, 1e3 * c.adjoint().secondsPerRun(),
                            100 * c.adjoint().spread(), c.peer() == null ? "" : String.format(Locale.ROOT, "   peer %9.3f ms  ratio %.2f",
                                    1e3 * c.peer().secondsPerRun(), c.ratio()));
                    progress.flush();
                }
            }
            endPeaks.put(t, Limits.measure(t, 300).peakGflops());
            cells.put(t, row);
        }
        endLoad = loadAverage();
        return this;
    }

    /** Adjoint's windows of {@code w}, alternating with the peer's when {@code peer} is not null. */
    private Cell measure(Headline.Workload w, PeerSession peer) throws InterruptedException {
        Kernels.warm(w.run(), 2 * windowMillis + 300, windowMillis);
        double seconds = windowMillis / 1000.0;
        PeerSession.Window first = peer == null ? null : peer.window(w.id(), seconds);   // builds and warms the peer's workload
        if (first != null) Thread.sleep(PEER_QUIET_MILLIS);
        double[] a = new double[reps], p = new double[reps], ratio = new double[reps];
        boolean paired = first != null;
        for (int r = 0; r < reps; r++) {
            if (paired && r % 2 == 1) paired = peerWindow(peer, w.id(), seconds, p, r);
            a[r] = Kernels.window(w.run(), windowMillis);
            if (paired && r % 2 == 0) paired = peerWindow(peer, w.id(), seconds, p, r);
        }
        if (!paired) return new Cell(Kernels.Timing.of(a), null, null, Double.NaN);
        for (int r = 0; r < reps; r++) ratio[r] = p[r] / a[r];
        java.util.Arrays.sort(ratio);
        return new Cell(Kernels.Timing.of(a), Kernels.Timing.of(p), first.library(), Kernels.Timing.median(ratio));
    }

    /** One peer window into {@code p[r]}, then the pause; false if the peer failed. */
    private static boolean peerWindow(PeerSession peer, String id, double seconds, double[] p, int r) throws InterruptedException {
        PeerSession.Window pw = peer.window(id, seconds);
        if (pw == null) return false;
        p[r] = pw.secondsPerRun();
        Thread.sleep(PEER_QUIET_MILLIS);
        return true;
    }

    private static Path script() {
        Path kernels = Peers.script();
        return kernels == null ? null : kernels.resolveSibling("headline.py");
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The Markdown section: the machine, then one table per group, then the notes. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(BEGIN).append('\n');
        sb.append(String.format(Locale.ROOT, "Generated by `./adjoint bench headline --update docs/PERFORMANCE.md` at %s; load average %s at the start, %s at the end.%n",
                started, startLoad, endLoad));
        sb.append(String.format(Locale.ROOT, "Machine: %d cores, `%s`, %d-lane float vectors.", Runtime.getRuntime().availableProcessors(), cpuName(),
                limits.values().iterator().next().lanes()));
        for (var e : limits.entrySet()) {
            sb.append(String.format(Locale.ROOT, " %d thread(s): FMA-loop peak %.1f GFLOP/s (%.1f after the block), copy bandwidth %.1f GB/s, read bandwidth %.1f GB/s.", e.getKey(),
                    e.getValue().peakGflops(), endPeaks.getOrDefault(e.getKey(), Double.NaN), e.getValue().bandwidthGBs(), readGBs.get(e.getKey())));
        }
        sb.append("\n\nEach figure is the median of ").append(reps).append(" windows of ").append(windowMillis)
                .append(" ms (spread = (max - min) / median); Adjoint's windows alternate with the peer's. **ratio** = the median over those ")
                .append(reps).append(" window pairs of peer time / Adjoint time: above 1, Adjoint is faster.\n");
        for (String group : List.of("gemm", "conv", "memory", "training")) {
            List<String> in = ids.stream().filter(i -> workloads.get(i).group().equals(group)).toList();
            if (in.isEmpty()) continue;
            boolean memory = group.equals("memory");
            sb.append("\n| ").append(group).append(" | problem |");
            for (int t : threadCounts) sb.append(String.format(" %dt Adjoint | %dt peer | %dt ratio |", t, t, t));
            sb.append(memory ? String.format(Locale.ROOT, " %dt Adjoint / yardstick |\n|---|---|", threadCounts[0]) : "\n|---|---|");
            for (int t : threadCounts) sb.append("---|---|---|");
            sb.append(memory ? "---|\n" : "\n");
            for (String id : in) {
                Headline.Workload w = workloads.get(id);
                sb.append("| ").append(id).append(" | ").append(w.what()).append(" |");
                for (int t : threadCounts) {
                    Cell c = cells.get(t).get(id);
                    sb.append(' ').append(rate(w, c.adjoint())).append(" |");
                    sb.append(' ').append(c.peer() == null ? "-" : rate(w, c.peer()) + " " + c.library()).append(" |");
                    sb.append(' ').append(c.peer() == null ? "-" : String.format(Locale.ROOT, "**%.2f**", c.ratio())).append(" |");
                }
                if (memory) {
                    // Reductions write nothing: their yardstick is read bandwidth, everything else's copy bandwidth.
                    double gbs = w.bytes() / cells.get(threadCounts[0]).get(id).adjoint().secondsPerRun() / 1e9;
                    boolean reads = Headline.readsOnly(id);
                    double yard = reads ? readGBs.get(threadCounts[0]) : limits.get(threadCounts[0]).bandwidthGBs();
                    sb.append(String.format(Locale.ROOT, " %.2f of %s |", gbs / yard, reads ? "read" : "copy"));
                }
                sb.append('\n');
            }
            if (group.equals("training")) bestVersusBest(sb, in);
        }
        for (String n : notes) sb.append("\n").append(n).append('\n');
        return sb.append(END).append('\n').toString();
    }

    /** Each side at its best thread count (the "PyTorch's best thread configuration"). */
    private void bestVersusBest(StringBuilder sb, List<String> in) {
        sb.append('\n');
        for (String id : in) {
            double bestA = Double.MAX_VALUE, bestP = Double.MAX_VALUE;
            int ta = 0, tp = 0;
            for (int t : threadCounts) {
                Cell c = cells.get(t).get(id);
                if (c.adjoint().secondsPerRun() < bestA) { bestA = c.adjoint().secondsPerRun(); ta = t; }
                if (c.peer() != null && c.peer().secondsPerRun() < bestP) { bestP = c.peer().secondsPerRun(); tp = t; }
            }
            if (tp == 0) continue;
            sb.append(String.format(Locale.ROOT, "%s, best against best: Adjoint %.3f ms (%d thread(s)), peer %.3f ms (%d thread(s)), ratio **%.2f**.%n",
                    id, 1e3 * bestA, ta, 1e3 * bestP, tp, bestP / bestA));
        }
    }

    private static String rate(Headline.Workload w, Kernels.Timing t) {
        double s = t.secondsPerRun();
        String spread = String.format(Locale.ROOT, " ±%.0f%%", 50 * t.spread());
        if (w.flops() > 0) return String.format(Locale.ROOT, "%.1f GFLOP/s%s", w.flops() / s / 1e9, spread);
        return String.format(Locale.ROOT, "%.1f GB/s%s", w.bytes() / s / 1e9, spread);
    }

    private static String cpuName() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /** Replaces the generated section of {@code file} (between the markers) with {@code section}, or appends it. */
    public static void update(Path file, String section) throws IOException {
        String text = Files.readString(file);
        int b = text.indexOf(BEGIN), e = text.indexOf(END);
        String updated;
        if (b >= 0 && e > b) updated = text.substring(0, b) + section + text.substring(e + END.length() + (text.startsWith("\n", e + END.length()) ? 1 : 0));
        else updated = text + (text.endsWith("\n") ? "\n" : "\n\n") + section;
        Files.writeString(file, updated);
    }
}
