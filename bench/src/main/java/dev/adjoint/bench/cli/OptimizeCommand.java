package dev.adjoint.bench.cli;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.DotExport;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.SavedGraph;
import dev.adjoint.graph.pass.Cost;
import dev.adjoint.graph.pass.PassReport;
import dev.adjoint.graph.pass.Pipeline;
import dev.adjoint.graph.pass.Rewritten;
import dev.adjoint.kernels.WorkSplitter;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code adjoint optimize}: runs a pass pipeline over a model's graph and prints what each pass did. */
@Command(name = "optimize", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class, sortOptions = false,
        description = {"Run a graph pass pipeline (O0, O1, O2) and print the per-pass table.",
                "MODEL is an ONNX model (.onnx) or an Adjoint graph file (.adj, as train --save writes); without it, --model builds a built-in model"
                        + " (--grad: its training step). Every pass is verified (structure; with --verify-numerics, values too)."})
public final class OptimizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "An ONNX model (.onnx, batch --batch) or an Adjoint graph file (.adj).")
    Path modelFile;

    @Option(names = "--model", paramLabel = "mlp|cnn", description = "Built-in model when no MODEL is given. Default: ${DEFAULT-VALUE}.")
    ModelChoice model = ModelChoice.mlp;

    @Option(names = "--grad", description = "The built-in model's training step (forward, loss, gradient, SGD update).")
    boolean grad;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size of the built-in model. Default: ${DEFAULT-VALUE}.")
    int batch = 32;

    @Option(names = "--pipeline", paramLabel = "O0|O1|O2", description = "Pass pipeline. Default: ${DEFAULT-VALUE}.")
    String pipeline = "O2";

    @Option(names = "--memory-budget", paramLabel = "BYTES", description = "Plan the pipeline's graph under this many planned bytes"
            + " (CompileOptions.withMemoryBudget: the buffer planner packs tighter and recomputes cheap elementwise steps); prints the plan's memory report.")
    long memoryBudget;

    @Option(names = "--graph-remat", paramLabel = "BYTES", description = "Append the graph-level rematerialization pass down to this liveness peak.")
    long graphRemat;

    @Option(names = "--report", description = "Print the per-pass table (nodes, MFLOP, planned peak KiB from the executor, ms).")
    boolean report;

    @Option(names = "--verify-numerics", description = "Also compare every pass's values with the reference interpreter.")
    boolean verifyNumerics;

    @Option(names = "--dump-after", paramLabel = "PASS", description = "Write the graph after this pass (see --dump-format, --dump-file).")
    String dumpAfter;

    @Option(names = "--dump-format", paramLabel = "dot|text", description = "Format of --dump-after. Default: ${DEFAULT-VALUE}.")
    DumpFormat dumpFormat = DumpFormat.text;

    @Option(names = "--dump-file", paramLabel = "FILE", description = "Where --dump-after writes (default: standard output).")
    Path dumpFile;

    @Option(names = "--time", paramLabel = "RUNS", description = "Compile with O0, O1 and the pipeline (and the budget) and time RUNS runs of each, alternating run by run (median).")
    int timeRuns;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.adj", description = "Write the optimized graph as a graph file.")
    Path output;

    /** {@code --dump-format}. */
    public enum DumpFormat {
        /** Graphviz DOT. */
        dot,
        /** One line per node. */
        text
    }

    @Override public Integer call() throws IOException {
        Flags.atLeast(spec, "--batch", batch, 1);
        Flags.atLeast(spec, "--memory-budget", memoryBudget, 0);
        Flags.atLeast(spec, "--graph-remat", graphRemat, 0);
        Flags.atLeast(spec, "--time", timeRuns, 0);
        Flags.outputFile(spec, "-o", output, ".adj");
        Flags.outputFile(spec, "--dump-file", dumpFile, null);
        Pipeline p;
        try {
            p = Pipeline.named(pipeline);
        } catch (IllegalArgumentException e) {
            throw Flags.error(spec, "--pipeline " + e.getMessage());
        }
        if (graphRemat > 0) p = p.then(dev.adjoint.graph.pass.Passes.rematerialize(graphRemat));
        if (dumpAfter != null && !p.names().contains(dumpAfter)) {
            throw Flags.error(spec, "--dump-after " + dumpAfter + ": pipeline " + p.name() + " has the passes " + p.names());
        }
        Map<String, Tensor> named = load();
        List<Tensor> outs = new ArrayList<>(named.values());
        PrintWriter out = spec.commandLine().getOut();

        Pipeline.Options options = Pipeline.Options.fast().withVerify(true).withVerifyNumerics(verifyNumerics).withReport(true)
                .withPeakBytes(OptimizeCommand::plannedPeak);
        List<String> dumps = new ArrayList<>();
        if (dumpAfter != null) {
            options = options.withDumpAfter(Set.of(dumpAfter), (pass, r) -> dumps.add(dumpFormat == DumpFormat.dot
                    ? DotExport.toDot(r.graph(), r.outputs()) : r.graph().toString()));
        }
        Pipeline.Result result = p.run(outs, options);
        Rewritten r = result.rewritten();
        PassReport first = result.reports().get(0), last = result.reports().get(result.reports().size() - 1);
        out.printf("%s, pipeline %s: %d -> %d nodes, %.3f -> %.3f MFLOP, planned peak %.1f -> %.1f KiB%n", describe(), p.name(),
                first.nodesBefore(), last.nodesAfter(), first.flopsBefore() / 1e6, last.flopsAfter() / 1e6,
                first.peakBytesBefore() / 1024.0, last.peakBytesAfter() / 1024.0);
        if (report) out.print(PassReport.table(result.reports()));
        else for (PassReport rep : result.reports()) for (String w : rep.warnings()) out.println("warning: " + w);
        if (memoryBudget > 0) {
            try {
                out.print("memory budget: " + Cpu.compile(outs, CompileOptions.defaults().withPipeline(p).withMemoryBudget(memoryBudget)).memoryReport());
            } catch (IllegalArgumentException e) {
                throw Flags.error(spec, "--memory-budget " + e.getMessage());
            }
        }
        if (timeRuns > 0) time(outs, p, out);
        for (String d : dumps) {
            if (dumpFile == null) out.print(d);
            else Files.writeString(dumpFile, d, StandardCharsets.UTF_8);
        }
        out.flush();
        if (dumpFile != null && !dumps.isEmpty()) spec.commandLine().getErr().println("wrote " + dumpFile);
        if (output != null) {
            Map<String, Tensor> saved = new LinkedHashMap<>();
            int i = 0;
            for (String name : named.keySet()) saved.put(name, r.outputs().get(i++));
            GraphFile.write(r.graph(), saved, output);
            spec.commandLine().getErr().println("wrote " + output);
        }
        return 0;
    }

    private String describe() {
        return modelFile != null ? modelFile.toString() : model.name() + (grad ? " training step" : " forward") + " (batch " + batch + ")";
    }

    /** The named outputs of the graph to optimize. */
    private Map<String, Tensor> load() throws IOException {
        if (modelFile != null) {
            String name = modelFile.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (!Files.isRegularFile(modelFile)) throw Flags.error(spec, "MODEL " + modelFile + ": no such file");
            if (name.endsWith(".onnx")) {
                // initializers as constants: an inference graph, so batch norms fold and weights' transposes fold
                dev.adjoint.onnx.OnnxModel m = dev.adjoint.onnx.Onnx.load(modelFile, dev.adjoint.onnx.LoadOptions.defaults().withBatch(batch));
                return m.outputs();
            }
            SavedGraph s = GraphFile.readSaved(modelFile);
            if (s.outputs().isEmpty()) throw Flags.error(spec, "MODEL " + modelFile + ": the graph file names no outputs");
            return s.outputs();
        }
        // The built-in models are dev.adjoint.train layers; their graphs come from the library's tracer.
        var step = dev.adjoint.train.TrainStep.of(model.build(null), dev.adjoint.train.Sgd.of(0.05, 0.9), dev.adjoint.graph.Nn::crossEntropy);
        int[] dims = model.inputDims(batch);
        var x = dev.adjoint.train.HostArray.f32(new float[java.util.Arrays.stream(dims).reduce(1, (a, b) -> a * b)], dims);
        Map<String, Tensor> named = new LinkedHashMap<>();
        if (grad) {
            var t = step.trace(new dev.adjoint.train.Batch(x, dev.adjoint.train.HostArray.i32(new int[batch], batch)));
            int n = t.outputs().size();  // new variables, new momenta, loss, correct count
            named.put("loss", t.outputs().get(n - 2));
            for (int i = 0; i < n - 2; i++) named.put("out" + (i + 1), t.outputs().get(i));
        } else {
            named.put("logits", step.traceForward(x).outputs().get(0));
        }
        return named;
    }

    /** The executor's planned peak for a graph compiled as it is (O0); the graph-level estimate if it does not compile. */
    static long plannedPeak(List<Tensor> outs) {
        try {
            return Cpu.compile(outs, CompileOptions.defaults().withPipeline(Pipeline.O0).withSplitter(WorkSplitter.SERIAL)).plannedPeakBytes();
        } catch (RuntimeException e) {
            return Cost.peakBytes(outs);
        }
    }

    private void time(List<Tensor> outs, Pipeline chosen, PrintWriter out) {
        out.println("timing (median of " + timeRuns + " runs, [min, max]; the plans alternate run by run; the machine may be loaded):");
        List<CompileOptions> runs = new ArrayList<>();
        for (Pipeline p : List.of(Pipeline.O0, Pipeline.O1, chosen)) runs.add(CompileOptions.defaults().withPipeline(p));
        if (memoryBudget > 0) runs.add(CompileOptions.defaults().withPipeline(chosen).withMemoryBudget(memoryBudget));
        List<Plan> plans = new ArrayList<>();
        List<Map<Tensor, Object>> feeds = new ArrayList<>();
        for (CompileOptions o : runs) {
            Plan plan = Cpu.compile(outs, o);
            plans.add(plan);
            feeds.add(feeds(plan));
        }
        // Interleaved (O0, O1, O2, ... O0, O1, ...) so that a change of load hits every plan alike.
        for (int i = 0; i < Math.max(3, timeRuns / 5); i++) for (int k = 0; k < plans.size(); k++) plans.get(k).run(feeds.get(k));
        double[][] ms = new double[plans.size()][timeRuns];
        double load0 = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        for (int i = 0; i < timeRuns; i++) {
            for (int k = 0; k < plans.size(); k++) {
                long t0 = System.nanoTime();
                plans.get(k).run(feeds.get(k));
                ms[k][i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        double load1 = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        for (int k = 0; k < plans.size(); k++) {
            CompileOptions o = runs.get(k);
            Plan plan = plans.get(k);
            Arrays.sort(ms[k]);
            out.printf("  %-28s %6d steps  planned peak %10.1f KiB  %9.3f ms [%.3f, %.3f]%n",
                    o.pipeline().name() + (o.memoryBudget() > 0 ? " budget " + o.memoryBudget() : ""), plan.stepCount(),
                    plan.plannedPeakBytes() / 1024.0, ms[k][timeRuns / 2], ms[k][0], ms[k][timeRuns - 1]);
        }
        out.printf("  load average %.2f -> %.2f%n", load0, load1);
    }

    /** Random feeds: floats in [-1, 1), integers (and float labels) in [0, 10). */
    static Map<Tensor, Object> feeds(Plan plan) {
        SplittableRandom rnd = new SplittableRandom(1);
        Map<Tensor, Object> feeds = new LinkedHashMap<>();
        for (Tensor in : plan.inputs()) {
            int n = in.shape().size();
            boolean labels = in.op() instanceof dev.adjoint.graph.op.Input i && i.label().equals("labels");
            feeds.put(in, switch (in.dtype()) {
                case F32 -> { float[] f = new float[n]; for (int j = 0; j < n; j++) f[j] = labels ? rnd.nextInt(10) : (float) rnd.nextDouble(-1, 1); yield f; }
                case F64 -> { double[] f = new double[n]; for (int j = 0; j < n; j++) f[j] = rnd.nextDouble(-1, 1); yield f; }
                case I32 -> { int[] f = new int[n]; for (int j = 0; j < n; j++) f[j] = rnd.nextInt(10); yield f; }
                case I64 -> { long[] f = new long[n]; for (int j = 0; j < n; j++) f[j] = rnd.nextInt(10); yield f; }
                case BOOL -> new boolean[n];
            });
        }
        return feeds;
    }
}
