package dev.adjoint.bench.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.bench.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line as a person sees it: help, errors (one line, exit 2, no stack trace), and each command working. */
class CliTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** An error: exit 2, exactly one line on stderr starting "adjoint: " and naming {@code mentions}, no stack trace. */
    static void assertUsageError(Run r, String mentions) {
        assertEquals(2, r.code(), r.toString());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line expected: " + r.err());
        assertTrue(lines[0].startsWith("adjoint: "), lines[0]);
        assertTrue(lines[0].contains(mentions), "'" + mentions + "' not in: " + lines[0]);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.err());
    }

    @Test void helpListsEveryCommand() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String c : new String[] {"train", "bench", "graph", "optimize", "conformance", "demo"}) assertTrue(r.out().contains("  " + c + " "), r.out());
        assertEquals(0, run().code(), "no command prints the usage");
    }

    @ParameterizedTest
    @CsvSource({"train, --optimizer", "bench, --json", "graph, --grad", "conformance, --backend", "demo, --help"})
    void everyCommandHasHelp(String command, String flag) {
        Run r = run(command, "--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("Usage: adjoint " + command), r.out());
        assertTrue(r.out().contains(flag), r.out());
    }

    @Test void versionPrintsTheProjectVersion() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s)adjoint \\d+\\.\\d+\\.\\d+.*"), r.out());
        assertEquals(r.out(), run("train", "--version").out());
    }

    @Test void unknownCommandIsOneLine() {
        assertUsageError(run("frobnicate"), "unknown command 'frobnicate'");
        assertUsageError(run("train", "--bogus"), "--bogus");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--lr NaN | --lr", "--lr Infinity | --lr", "--lr -1 | --lr", "--lr x | --lr", "--momentum 1 | --momentum",
        "--momentum NaN | --momentum", "--epochs 0 | --epochs", "--batch 0 | --batch", "--threads 0 | --threads",
        "--hidden 0 | --hidden", "--hidden 12,-3 | --hidden", "--model rnn | --model", "--optimizer rmsprop | --optimizer",
        "--plot out.jpg | --plot", "--plot /nonexistent/dir/out.png | /nonexistent/dir", "--save /nonexistent/dir/m.adj | --save"})
    void badFlagsAreRefusedBeforeAnyDataLoads(String args, String mentions) {
        // --data points at the full set's default: were the flags checked after loading, we would see the data line.
        String[] a = ("train " + args).split(" ");
        Run r = run(a);
        assertUsageError(r, mentions);
        assertEquals("", r.out(), "nothing may load before the flags are checked");
    }

    @Test void batchLargerThanTheDataIsRefused() {
        Run r = run("train", "--data", "sample", "--batch", "5000");
        assertUsageError(r, "--batch 5000 is larger than the training set (4000");
    }

    @Test void emptyTestSetIsRefused(@TempDir Path dir) throws Exception {
        writeIdx(dir, "train", 200);
        writeIdx(dir, "t10k", 0);
        Run r = run("train", "--data", dir.toString(), "--batch", "50", "--epochs", "1");
        assertUsageError(r, "test set");
    }

    /** Issue 11 #8 (verified fixed): a test set smaller than the evaluation batch is either refused or evaluated, never NaN with exit 0. */
    @Test void testSetSmallerThanTheBatch(@TempDir Path dir) throws Exception {
        writeIdx(dir, "train", 200);
        writeIdx(dir, "t10k", 30);
        Run r = run("train", "--data", dir.toString(), "--batch", "50", "--epochs", "1", "--hidden", "8", "--threads", "1");
        if (r.code() == 0) {
            assertTrue(!r.out().contains("NaN") && r.out().contains("final test accuracy"), r.toString());
        } else assertUsageError(r, "test set");
    }

    /** Missing data falls back to the bundled sample; the run trains, saves a checkpoint and draws its curves. */
    @Test void missingDataFallsBackToTheSampleAndTrains(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.safetensors"), plot = dir.resolve("curves.png");
        Run r = run("train", "--data", dir.resolve("nothing-here").toString(), "--epochs", "2", "--hidden", "64", "--batch", "100",
                "--threads", "1", "--save", model.toString(), "--plot", plot.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("data: no Fashion-MNIST in " + dir.resolve("nothing-here") + ", so the bundled sample (4000 training, 1000 test images);"
                + " for the full set: apt-get install dataset-fashion-mnist"), r.out());
        assertTrue(r.out().contains("\nepoch 1: loss ") && r.out().contains("\nepoch 2: loss "), r.out());
        Matcher m = Pattern.compile("final test accuracy ([0-9.]+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) > 70, "two epochs on the sample should pass 70%: " + r.out());

        // The library's checkpoint: PyTorch state_dict names ([out, in] weights), the optimizer's momentum, the step count.
        var saved = dev.adjoint.train.Safetensors.read(model);
        assertEquals(java.util.List.of("0.weight", "0.bias", "2.weight", "2.bias", "optimizer.momentum_buffer.0.weight",
                "optimizer.momentum_buffer.0.bias", "optimizer.momentum_buffer.2.weight", "optimizer.momentum_buffer.2.bias"),
                java.util.List.copyOf(saved.tensors().keySet()));
        assertEquals(dev.adjoint.graph.Shape.of(64, 784), saved.tensors().get("0.weight").shape());
        assertEquals("80", saved.metadata().get("step"), "2 epochs of 40 batches of 100");
        byte[] png = Files.readAllBytes(plot);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        assertTrue(png.length > 10_000, "a chart with axes and curves, not an empty image: " + png.length + " bytes");
    }

    @Test void adamAndTheCnnTrainOnTheSample(@TempDir Path dir) throws Exception {
        Run adam = run("train", "--data", "sample", "--optimizer", "adam", "--epochs", "1", "--hidden", "64", "--batch", "100");
        assertEquals(0, adam.code(), adam.toString());
        assertTrue(adam.out().contains("Adam(lr=0.001"), adam.out());
        assertTrue(accuracy(adam) > 65, adam.out());
        Path saved = dir.resolve("cnn");
        Run cnn = run("train", "--data", "sample", "--model", "cnn", "--optimizer", "adam", "--lr", "0.003", "--epochs", "1", "--batch", "100",
                "--save-model", saved.toString());
        assertEquals(0, cnn.code(), cnn.toString());
        assertTrue(cnn.out().contains("CNN (LeNet-like)"), cnn.out());
        assertTrue(accuracy(cnn) > 55, cnn.out());
        assertTrue(cnn.out().contains("saved the model to " + saved + " (model.adjg: the inference graph, x: f32[batch, 28, 28, 1]"), cnn.out());
        // The saved model classifies the test set as the run reported, without the layer code, at a batch size the run never used.
        var test = dev.adjoint.bench.data.Data.load("sample", false, new java.io.PrintWriter(java.io.Writer.nullWriter())).test();
        var model = dev.adjoint.train.SavedModel.load(saved);
        long correct = 0;
        for (int from = 0; from < test.size(); from += 333) {
            int n = Math.min(333, test.size() - from);
            float[] x = java.util.Arrays.copyOfRange(test.features(), from * 784, (from + n) * 784);
            float[] logits = model.apply(dev.adjoint.train.HostArray.f32(x, n, 28, 28, 1)).floats();
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
                if (best == test.labels()[from + i]) correct++;
            }
        }
        assertEquals(accuracy(cnn), 100.0 * correct / test.size(), 0.006, cnn.out());
    }

    @Test void divergenceIsReportedNotTrainedOn() {
        Run r = run("train", "--data", "sample", "--lr", "1e30", "--epochs", "3", "--hidden", "16", "--batch", "500");
        assertUsageError(r, "training diverged");
        assertFalse(r.out().contains("epoch 2"), "training stops at the first non-finite epoch: " + r.out());
    }

    private static double accuracy(Run r) {
        Matcher m = Pattern.compile("final test accuracy ([0-9.]+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        return Double.parseDouble(m.group(1));
    }

    @Test void graphDrawsLayersAsClusters() {
        Run fwd = run("graph", "--model", "cnn");
        assertEquals(0, fwd.code(), fwd.toString());
        assertTrue(fwd.out().startsWith("digraph adjoint {"), fwd.out());
        for (String layer : new String[] {"0 Conv2d(1, 6, k=[5, 5], p=[2, 2], NHWC)", "2 MaxPool[2, 2] NHWC", "3 Conv2d(6, 16",
                "7 Linear(400, 120)", "11 Linear(84, 10)"}) {
            assertTrue(fwd.out().contains("label=\"" + layer), layer + " missing");
        }
        assertFalse(fwd.out().contains("gradient"), "the forward graph has no gradient");
        Run step = run("graph", "--model", "mlp", "--grad", "--hidden", "8");
        assertEquals(0, step.code());
        assertTrue(step.out().contains("label=\"gradient (Autodiff.grad, reverse mode)\""), step.out());
        assertTrue(step.out().contains("label=\"update: SGD"), step.out());
        assertTrue(step.out().split("subgraph cluster_").length - 1 >= 5, "2 layers, loss, gradient, update");
    }

    @Test void graphDrawsTheOptimizedGraphWithPipeline() {
        Run traced = run("graph", "--model", "mlp", "--grad", "--hidden", "8");
        Run o2 = run("graph", "--model", "mlp", "--grad", "--hidden", "8", "--pipeline", "O2");
        assertEquals(0, o2.code(), o2.toString());
        assertTrue(o2.out().startsWith("digraph"), o2.out());
        long tracedNodes = traced.out().lines().filter(l -> l.matches("\\s*n\\d+ \\[.*")).count();
        long o2Nodes = o2.out().lines().filter(l -> l.matches("\\s*n\\d+ \\[.*")).count();
        assertTrue(o2Nodes > 0 && o2Nodes < tracedNodes, o2Nodes + " optimized nodes vs " + tracedNodes + " traced\n" + o2.out());
        assertFalse(o2.out().contains("subgraph cluster_"), "optimized graphs are drawn unclustered");
        assertEquals(traced.out(), run("graph", "--model", "mlp", "--grad", "--hidden", "8", "--pipeline", "O0").out(), "O0 is the default");
        assertUsageError(run("graph", "--pipeline", "O7"), "--pipeline");
        assertTrue(run("graph", "--help").out().contains("Default: O0"));
    }

    @Test void graphRendersWithGraphvizOrSaysItIsMissing(@TempDir Path dir) throws Exception {
        String saved = System.getProperty("adjoint.dot");
        try {
            System.setProperty("adjoint.dot", "");
            assertUsageError(run("graph", "--format", "svg"), "Graphviz 'dot' is not installed");
        } finally {
            if (saved == null) System.clearProperty("adjoint.dot");
            else System.setProperty("adjoint.dot", saved);
        }
        assumeTrue(GraphCommand.findDot() != null, "Graphviz not installed");
        Path png = dir.resolve("g.png");
        Run r = run("graph", "--model", "mlp", "--format", "png", "-o", png.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals((byte) 0x89, Files.readAllBytes(png)[0]);
        Run svg = run("graph", "--format", "svg", "--hidden", "4");
        assertTrue(svg.out().contains("<svg") && svg.out().contains("0 Linear(784, 4)") && svg.out().contains("1 Relu"), svg.out());
    }

    @Test void benchPrintsJsonAgainstTheMeasuredLimits() {
        Run r = run("bench", "reduce", "--quick", "--reps", "1", "--json", "--no-peers", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        String json = r.out().strip();
        assertTrue(json.startsWith("{\"machine\":{\"threads\":1,"), json);
        assertTrue(json.contains("\"name\":\"reduce\"") && json.contains("\"unit\":\"GB/s\"") && json.contains("\"fraction_of_limit\":"), json);
        Matcher bw = Pattern.compile("\"bandwidth_gbs\":([0-9.e+]+)").matcher(json);
        assertTrue(bw.find() && Double.parseDouble(bw.group(1)) > 0.1, json);
        assertUsageError(run("bench", "fft"), "KERNEL must be one of");
        assertUsageError(run("bench", "gemm", "--plot", "r.svg"), "--plot");
        assertUsageError(run("bench", "gemm", "--update", "README.md"), "--update goes with KERNEL headline");
        assertUsageError(run("bench", "headline", "--json"), "headline prints Markdown");
        assertUsageError(run("bench", "headline", "--update", "no/such.md"), "--update: no such file no/such.md");
    }

    @Test void demoEvaluates() {
        Run r = run("demo");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("z = 42.0"), r.out());
    }

    /** Writes a split of {@code n} blank images with labels 0..9 in the IDX format (gzipped). */
    static void writeIdx(Path dir, String split, int n) throws Exception {
        try (var out = new java.io.DataOutputStream(new java.util.zip.GZIPOutputStream(Files.newOutputStream(dir.resolve(split + "-images-idx3-ubyte.gz"))))) {
            out.writeInt(0x803);
            out.writeInt(n);
            out.writeInt(28);
            out.writeInt(28);
            out.write(new byte[n * 784]);
        }
        try (var out = new java.io.DataOutputStream(new java.util.zip.GZIPOutputStream(Files.newOutputStream(dir.resolve(split + "-labels-idx1-ubyte.gz"))))) {
            out.writeInt(0x801);
            out.writeInt(n);
            for (int i = 0; i < n; i++) out.write(i % 10);
        }
    }
}
