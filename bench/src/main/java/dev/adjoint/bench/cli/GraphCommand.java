package dev.adjoint.bench.cli;

import dev.adjoint.bench.train.Scopes;
import dev.adjoint.graph.Nn;
import dev.adjoint.train.Batch;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainStep;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code adjoint graph}: draws a model's graph, or its whole training step, grouped by layer. */
@Command(name = "graph", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class, sortOptions = false,
        description = {"Draw a model's graph or training step (DOT, SVG, PNG).", "Export a model's graph (--grad: its training step: forward, loss, reverse-mode gradient and SGD update)"
                + " as DOT text, or rendered to SVG or PNG by Graphviz 'dot'. Each layer's nodes form one cluster."})
public final class GraphCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "mlp|cnn", description = "Architecture. Default: ${DEFAULT-VALUE}.")
    ModelChoice model = ModelChoice.mlp;

    @Option(names = "--format", paramLabel = "dot|svg|png", description = "Output format. Default: ${DEFAULT-VALUE}.")
    Format format = Format.dot;

    @Option(names = "--grad", description = "Draw the training step instead of the forward pass.")
    boolean grad;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Output file (dot and svg default to standard output).")
    Path output;

    @Option(names = "--hidden", paramLabel = "W", split = ",", description = "Hidden dense layer widths (as for train).")
    int[] hidden;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size in the shapes. Default: ${DEFAULT-VALUE}.")
    int batch = 32;

    @Option(names = "--pipeline", paramLabel = "O0|O1|O2", description = "Draw the graph after this pass pipeline: O0 is the graph as traced,"
            + " clustered by layer; O1 and O2 (what Cpu.compile runs by default) draw the optimized graph, unclustered. Default: ${DEFAULT-VALUE}.")
    String pipeline = "O0";

    /** {@code --format}. */
    public enum Format {
        /** Graphviz DOT text. */
        dot,
        /** SVG through Graphviz. */
        svg,
        /** PNG through Graphviz. */
        png
    }

    @Override public Integer call() throws IOException {
        Flags.atLeast(spec, "--batch", batch, 1);
        if (hidden != null) for (int h : hidden) Flags.atLeast(spec, "--hidden", h, 1);
        Flags.outputFile(spec, "-o", output, null);
        if (format == Format.png && output == null) throw Flags.error(spec, "--format png needs -o FILE");
        String dotExe = null;
        if (format != Format.dot) {
            dotExe = findDot();
            if (dotExe == null) {
                throw new IllegalStateException("Graphviz 'dot' is not installed (apt-get install graphviz); "
                        + "--format dot writes the DOT text without it");
            }
        }
        dev.adjoint.graph.pass.Pipeline p;
        try {
            p = dev.adjoint.graph.pass.Pipeline.named(pipeline);
        } catch (IllegalArgumentException e) {
            throw Flags.error(spec, "--pipeline " + e.getMessage());
        }
        TrainStep step = TrainStep.of(model.build(hidden), Sgd.of(0.05, 0.9), Nn::crossEntropy);
        int[] dims = model.inputDims(batch);
        HostArray x = HostArray.f32(new float[java.util.Arrays.stream(dims).reduce(1, (a, b) -> a * b)], dims);
        TrainStep.Trace t = grad ? step.trace(new Batch(x, HostArray.i32(new int[batch], batch))) : step.traceForward(x);
        List<Scopes.Scope> scopes = new ArrayList<>();
        for (TrainStep.Scope s : t.scopes()) scopes.add(new Scopes.Scope(s.name(), s.from(), s.to()));
        String text;
        if (p == dev.adjoint.graph.pass.Pipeline.O0) {
            text = ClusteredDot.render(t.graph(), t.outputs(), scopes);
        } else {
            // Passes rebuild the graph, so the layer scopes (node ranges of the traced graph) no longer apply.
            dev.adjoint.graph.pass.Rewritten r = p.apply(t.outputs());
            text = dev.adjoint.graph.io.DotExport.toDot(r.graph(), r.outputs());
        }
        if (format == Format.dot) {
            if (output == null) spec.commandLine().getOut().print(text);
            else Files.writeString(output, text, StandardCharsets.UTF_8);
        } else {
            byte[] rendered = render(dotExe, text, format.name());
            if (output == null) spec.commandLine().getOut().print(new String(rendered, StandardCharsets.UTF_8));
            else Files.write(output, rendered);
        }
        spec.commandLine().getOut().flush();
        if (output != null) spec.commandLine().getErr().println("wrote " + output);
        return 0;
    }

    /** The {@code dot} executable: {@code -Dadjoint.dot=PATH} if set (empty: none), else the first on PATH. */
    static String findDot() {
        String forced = System.getProperty("adjoint.dot");
        if (forced != null) return forced.isEmpty() || !Files.isExecutable(Path.of(forced)) ? null : forced;
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String d : path.split(File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, "dot");
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    private static byte[] render(String dot, String text, String format) throws IOException {
        Process p = new ProcessBuilder(dot, "-T" + format).redirectError(ProcessBuilder.Redirect.PIPE).start();
        var errors = new java.io.ByteArrayOutputStream();
        Thread drain = Thread.ofVirtual().start(() -> {
            try {
                p.getErrorStream().transferTo(errors);
            } catch (IOException ignored) {
                // the exit code tells
            }
        });
        Thread feed = Thread.ofVirtual().start(() -> {
            try (var in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the exit code tells
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("Graphviz dot did not finish in 2 minutes");
            }
            feed.join();
            drain.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for Graphviz dot");
        }
        if (p.exitValue() != 0) {
            throw new IOException("Graphviz dot failed (exit " + p.exitValue() + "): " + errors.toString(StandardCharsets.UTF_8).strip());
        }
        return out;
    }
}
