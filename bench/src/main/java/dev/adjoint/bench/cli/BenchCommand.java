package dev.adjoint.bench.cli;

import dev.adjoint.bench.perf.Kernels;
import dev.adjoint.bench.perf.Limits;
import dev.adjoint.bench.perf.Peers;
import dev.adjoint.bench.perf.RooflinePlot;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code adjoint bench KERNEL}: kernel throughput against this machine's measured limits. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class, sortOptions = false,
        description = {"Time kernels against this machine's measured peak and bandwidth.", "Kernels run through Cpu.compile plans and print GFLOP/s (gemm, conv, train) or GB/s (elementwise, reduce),"
                + " each as a fraction of this machine's limit, measured first in Java: a register-only Vector API FMA loop for"
                + " the peak, a copy loop for the bandwidth. Figures are medians over fixed-duration repetitions; the spread is"
                + " (max - min) / median.",
                "Where /usr/bin/python3 has numpy and torch, bench/peers/kernels.py times the same problems and the ratios are printed."})
public final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KERNEL", description = {"gemm, conv, elementwise, reduce, train or all;",
            "or headline: every workload of docs/PERFORMANCE.md's headline table (SGEMM sizes and MLP shapes, conv layers A-D"
                    + " forward and forward+backward, memory-bound kernels, MLP and LeNet training steps) at 1 thread and at --threads,"
                    + " each beside its peer (bench/peers/headline.py), printed as Markdown (about 5 minutes; 2 with --quick)."})
    String kernel;

    @Option(names = "--update", paramLabel = "FILE.md", description = "headline only: replace the generated table in FILE.md (between its markers), e.g. docs/PERFORMANCE.md.")
    Path update;

    @Option(names = "--quick", description = "Smaller problems and shorter repetitions (all in about 10 s).")
    boolean quick;

    @Option(names = "--threads", paramLabel = "T", description = "Threads. Default: the number of processors (${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--reps", paramLabel = "N", description = "Repetitions per kernel. Default: 7 (5 with --quick).")
    Integer reps;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw each kernel against the measured roofline.")
    Path plot;

    @Option(names = "--no-peers", description = "Do not run the numpy/PyTorch peers.")
    boolean noPeers;

    @Override public Integer call() throws Exception {
        if (kernel.equals("headline")) return headline();
        if (update != null) throw Flags.error(spec, "--update goes with KERNEL headline only");
        List<String> names = kernel.equals("all") ? Kernels.NAMES : List.of(kernel);
        if (!kernel.equals("all") && !Kernels.NAMES.contains(kernel)) {
            throw Flags.error(spec, "KERNEL must be one of gemm, conv, elementwise, reduce, train, all, headline; got '" + kernel + "'");
        }
        Flags.atLeast(spec, "--threads", threads, 1);
        if (threads > 1024) throw Flags.error(spec, "--threads must be <= 1024, got " + threads);
        int n = reps != null ? reps : quick ? 5 : 7;
        Flags.atLeast(spec, "--reps", n, 1);
        Flags.outputFile(spec, "--plot", plot, ".png");
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("bench needs the Vector API: start java with --add-modules jdk.incubator.vector (./adjoint does)");
        }
        PrintWriter out = spec.commandLine().getOut();
        long warm = quick ? 300 : 500, window = quick ? 60 : 150;
        Limits limits = Limits.measure(threads, quick ? 150 : 300);
        if (!json) {
            out.printf(Locale.ROOT, "machine: %d thread(s), %d-lane float vectors; peak %.1f GFLOP/s (FMA loop), bandwidth %.1f GB/s (copy loop)%n",
                    threads, limits.lanes(), limits.peakGflops(), limits.bandwidthGBs());
            out.flush();
        }
        WorkSplitter splitter = threads == 1 ? WorkSplitter.SERIAL
                : threads == Runtime.getRuntime().availableProcessors() ? Cpu.defaultPool() : new ThreadPool(threads);
        List<Row> rows = new ArrayList<>();
        for (String name : names) {
            Kernels.Case c = Kernels.build(name, quick, splitter);
            Kernels.Timing t = Kernels.time(c, warm, n, window);
            Row r = new Row(c, t, limits);
            rows.add(r);
            if (!json) {
                out.println(r.line());
                out.flush();
            }
        }
        Map<String, Double> peer = Map.of();
        String why = noPeers ? "--no-peers" : Peers.unavailable(Peers.script());
        if (why == null) peer = Peers.run(Peers.script(), names, quick, threads);
        if (!json) {
            if (why != null) out.println("peers: not run (" + why + ")");
            for (Row r : rows) {
                Double s = peer.get(r.c.name());
                if (s != null) {
                    out.printf(Locale.ROOT, "peer %-12s %10.3f ms per run; adjoint/peer speed ratio %.2f%n", r.c.name(), 1e3 * s, s / r.t.secondsPerRun());
                }
            }
        } else {
            out.println(json(limits, rows, peer, why));
        }
        if (plot != null) {
            List<RooflinePlot.Point> pts = new ArrayList<>();
            for (Row r : rows) pts.add(new RooflinePlot.Point(r.c.name(), r.c.intensity(), r.c.flops() / r.t.secondsPerRun() / 1e9));
            RooflinePlot.write(limits, pts, plot);
            if (!json) out.println("wrote the roofline chart to " + plot);
        }
        out.flush();
        return 0;
    }

    private int headline() throws Exception {
        Flags.atLeast(spec, "--threads", threads, 1);
        if (threads > 1024) throw Flags.error(spec, "--threads must be <= 1024, got " + threads);
        if (json || plot != null) throw Flags.error(spec, "headline prints Markdown: --json and --plot go with the other KERNELs");
        if (update != null && !java.nio.file.Files.isRegularFile(update)) throw Flags.error(spec, "--update: no such file " + update);
        int n = reps != null ? reps : quick ? 5 : 7;
        Flags.atLeast(spec, "--reps", n, 1);
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("bench needs the Vector API: start java with --add-modules jdk.incubator.vector (./adjoint does)");
        }
        int[] counts = threads == 1 ? new int[] {1} : new int[] {1, threads};
        PrintWriter out = spec.commandLine().getOut();
        var report = new dev.adjoint.bench.perf.HeadlineReport(dev.adjoint.bench.perf.Headline.ids(quick), counts, n, quick ? 80 : 150)
                .run(spec.commandLine().getErr(), !noPeers);
        String md = report.markdown();
        out.print(md);
        if (update != null) {
            dev.adjoint.bench.perf.HeadlineReport.update(update, md);
            out.println("updated " + update);
        }
        out.flush();
        return 0;
    }

    private record Row(Kernels.Case c, Kernels.Timing t, Limits limits) {
        double rate() { return c.memoryBound() ? c.bytes() / t.secondsPerRun() / 1e9 : c.flops() / t.secondsPerRun() / 1e9; }

        String unit() { return c.memoryBound() ? "GB/s" : "GFLOP/s"; }

        double fraction() { return rate() / (c.memoryBound() ? limits.bandwidthGBs() : limits.peakGflops()); }

        String line() {
            String extra = c.examples() > 0 ? String.format(Locale.ROOT, ", %.0f examples/s", c.examples() / t.secondsPerRun()) : "";
            String over = fraction() > 1 ? " [above the measured " + (c.memoryBound() ? "bandwidth" : "peak")
                    + ": the machine was busier while it was measured, or its loop falls short]" : "";
            return String.format(Locale.ROOT, "%-12s %8.2f %-7s %5.1f%% of %s  (spread %.0f%% over %d reps, %.3f ms per run; %s%s)%s",
                    c.name(), rate(), unit(), 100 * fraction(), c.memoryBound() ? "bandwidth" : "peak", 100 * t.spread(), t.repetitions(),
                    1e3 * t.secondsPerRun(), c.size(), extra, over);
        }
    }

    private static String json(Limits l, List<Row> rows, Map<String, Double> peer, String why) {
        StringBuilder sb = new StringBuilder("{");
        sb.append(String.format(Locale.ROOT, "\"machine\":{\"threads\":%d,\"lanes\":%d,\"peak_gflops\":%.3f,\"bandwidth_gbs\":%.3f},",
                l.threads(), l.lanes(), l.peakGflops(), l.bandwidthGBs()));
        sb.append("\"kernels\":[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.c.name());
            m.put("size", r.c.size());
            m.put("unit", r.unit());
            m.put("rate", r.rate());
            m.put("fraction_of_limit", r.fraction());
            m.put("seconds_per_run", r.t.secondsPerRun());
            m.put("seconds_min", r.t.min());
            m.put("seconds_max", r.t.max());
            m.put("repetitions", r.t.repetitions());
            m.put("flops", r.c.flops());
            m.put("bytes", r.c.bytes());
            Double s = peer.get(r.c.name());
            if (s != null) {
                m.put("peer_seconds_per_run", s);
                m.put("speed_ratio_vs_peer", s / r.t.secondsPerRun());
            }
            if (i > 0) sb.append(',');
            sb.append('{');
            int k = 0;
            for (var e : m.entrySet()) {
                if (k++ > 0) sb.append(',');
                sb.append('"').append(e.getKey()).append("\":");
                Object v = e.getValue();
                if (v instanceof String str) sb.append('"').append(str.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                else if (v instanceof Double d) sb.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null");
                else sb.append(v);
            }
            sb.append('}');
        }
        sb.append("],\"peers\":").append(why == null ? "\"run\"" : "\"" + why.replace("\"", "'") + "\"");
        return sb.append('}').toString();
    }
}
