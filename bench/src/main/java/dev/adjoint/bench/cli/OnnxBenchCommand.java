package dev.adjoint.bench.cli;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import dev.adjoint.onnx.LoadOptions;
import dev.adjoint.onnx.Onnx;
import dev.adjoint.onnx.OnnxModel;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code adjoint onnx bench MODEL}: one model's inference time on Adjoint (imported, compiled by
 * {@code Cpu.compile}) and on ONNX Runtime (the same file, {@code ALL_OPT}, the same number of
 * intra-op threads), side by side in one run. The two alternate run by run, so a change in the
 * machine's load hits both; the table gives median, min and max milliseconds per inference and
 * the ratio of medians, and a last line says how far the two engines' outputs are apart.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class, sortOptions = false,
        description = {"Time inference of an ONNX model on Adjoint and on ONNX Runtime (ALL_OPT, same threads), side by side.",
                "Inputs are random (floats uniform in [-1, 1), integers 0, bools false) with the batch size given for a symbolic"
                        + " first axis. The engines alternate run by run after a warm-up; the table shows median, min and max ms"
                        + " per inference and the ratio of the medians.",
                "Example: adjoint onnx bench resnet18.onnx --batch 8 --threads 2"})
public final class OnnxBenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file.")
    Path model;

    @Option(names = "--batch", paramLabel = "B", description = "Size of symbolic first (batch) axes. Default: ${DEFAULT-VALUE}.")
    int batch = 1;

    @Option(names = "--threads", paramLabel = "T", description = "Threads for both engines. Default: ${DEFAULT-VALUE}.")
    int threads = 1;

    @Option(names = "--runs", paramLabel = "N", description = "Timed runs per engine. Default: ${DEFAULT-VALUE}.")
    int runs = 20;

    @Option(names = "--warmup", paramLabel = "S", description = "Warm-up seconds per engine (at least 5 runs each). Default: ${DEFAULT-VALUE}.")
    double warmup = 3;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the random inputs. Default: ${DEFAULT-VALUE}.")
    long seed = 1;

    @Option(names = "--pipeline", paramLabel = "O0|O1|O2", split = ",", description = "Adjoint's pass pipeline(s); several "
            + "(--pipeline O1,O2) are compiled and timed side by side, all engines alternating run by run. Default: Cpu.compile's.")
    List<String> pipelines = List.of();

    @Override public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) throw Flags.error(spec, "MODEL " + model + ": no such file");
        Flags.atLeast(spec, "--batch", batch, 1);
        Flags.atLeast(spec, "--threads", threads, 1);
        Flags.atLeast(spec, "--runs", runs, 1);
        if (threads > 1024) throw Flags.error(spec, "--threads must be <= 1024, got " + threads);
        if (!(warmup >= 0) || Double.isInfinite(warmup)) throw Flags.error(spec, "--warmup must be a finite number >= 0, got " + warmup);
        PrintWriter out = spec.commandLine().getOut();

        OnnxModel m = Onnx.load(model, LoadOptions.defaults().withBatch(batch));
        List<Tensor> inputs = new ArrayList<>(m.inputs().values());
        List<Tensor> outputs = new ArrayList<>(m.outputs().values());
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Object> values = new ArrayList<>();
        for (Tensor t : inputs) values.add(randomValues(t, rnd));

        WorkSplitter splitter = threads == 1 ? WorkSplitter.SERIAL : new ThreadPool(threads);
        List<String> labels = new ArrayList<>();
        List<Plan> plans = new ArrayList<>();
        long c0 = System.nanoTime();
        if (pipelines.isEmpty()) {
            plans.add(Cpu.compile(outputs, CompileOptions.defaults().withSplitter(splitter)));
            labels.add("adjoint");
        }
        for (String name : pipelines) {
            dev.adjoint.graph.pass.Pipeline pl;
            try {
                pl = dev.adjoint.graph.pass.Pipeline.named(name);
            } catch (IllegalArgumentException e) {
                throw Flags.error(spec, "--pipeline " + name + ": " + e.getMessage());
            }
            plans.add(Cpu.compile(outputs, CompileOptions.defaults().withSplitter(splitter).withPipeline(pl)));
            labels.add("adjoint " + pl.name());
        }
        Plan plan = plans.get(0);
        double compileMs = (System.nanoTime() - c0) / 1e6 / plans.size();
        Map<Tensor, Object> feeds = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) feeds.put(inputs.get(i), values.get(i));

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            long s0 = System.nanoTime();
            try (OrtSession session = env.createSession(model.toString(), opts)) {
                double sessionMs = (System.nanoTime() - s0) / 1e6;
                Map<String, OnnxTensor> ortFeeds = new HashMap<>();
                List<String> names = new ArrayList<>(m.inputs().keySet());
                try {
                    for (int i = 0; i < inputs.size(); i++) ortFeeds.put(names.get(i), ortTensor(env, inputs.get(i), values.get(i)));
                    List<Runnable> engines = new ArrayList<>();
                    for (Plan pl : plans) engines.add(() -> pl.run(feeds));
                    OrtRun ort = () -> {
                        try (OrtSession.Result r = session.run(ortFeeds)) { // outputs stay native: no copy timed
                            return r.size();
                        }
                    };
                    out.printf("%s: %d input(s) %s, %d thread(s); Adjoint compile %.0f ms, ONNX Runtime session %.0f ms%n",
                            model, inputs.size(), shapes(inputs), threads, compileMs, sessionMs);
                    out.flush();
                    List<Runnable> all = new ArrayList<>(engines);
                    all.add(ort);
                    warm(all.toArray(new Runnable[0]));
                    int n = all.size();
                    double[][] t = new double[n][runs];
                    double load0 = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                    for (int i = 0; i < runs; i++) {
                        for (int k = 0; k < n; k++) { // the order rotates, so no engine always runs after the same one
                            int e = (k + i) % n;
                            t[e][i] = time(all.get(e));
                        }
                    }
                    double load1 = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                    for (double[] row : t) Arrays.sort(row);
                    double[] o = t[n - 1];
                    out.printf("%-14s %10s %10s %10s%n", "engine", "median ms", "min ms", "max ms");
                    for (int e = 0; e < n - 1; e++) out.printf("%-14s %10.2f %10.2f %10.2f%n", labels.get(e), median(t[e]), t[e][0], t[e][runs - 1]);
                    out.printf("%-14s %10.2f %10.2f %10.2f%n", "onnxruntime", median(o), o[0], o[runs - 1]);
                    for (int e = 0; e < n - 1; e++) {
                        double ratio = median(o) / median(t[e]);
                        out.printf("ratio onnxruntime/%s (median): %.2f (%s)%n", labels.get(e), ratio,
                                ratio >= 1 ? String.format("Adjoint %.2fx faster", ratio) : String.format("Adjoint %.2fx slower", 1 / ratio));
                    }
                    out.printf("load average %.2f -> %.2f%n", load0, load1);
                    out.println(agreement(plan, outputs, session, ortFeeds));
                } finally {
                    for (OnnxTensor t : ortFeeds.values()) t.close();
                }
            }
        } finally {
            if (splitter instanceof ThreadPool p) p.close();
        }
        out.flush();
        return 0;
    }

    @FunctionalInterface
    private interface OrtRun extends Runnable {
        int call() throws OrtException;

        @Override default void run() {
            try {
                call();
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
            }
        }
    }

    private void warm(Runnable... engines) {
        for (Runnable r : engines) {
            long end = System.nanoTime() + (long) (warmup * 1e9);
            for (int i = 0; i < 5 || System.nanoTime() < end; i++) r.run();
        }
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String shapes(List<Tensor> ts) {
        List<String> s = new ArrayList<>();
        for (Tensor t : ts) s.add(t.dtype().label() + t.shape());
        return String.join(", ", s);
    }

    /** The largest difference between the engines' first outputs, absolute and relative to the largest magnitude. */
    private static String agreement(Plan plan, List<Tensor> outputs, OrtSession session, Map<String, OnnxTensor> feeds) throws OrtException {
        double[] a = plan.outputAsDoubles(0);
        try (OrtSession.Result r = session.run(feeds)) {
            OnnxValue v = r.get(0);
            double[] o = doubles((OnnxTensor) v);
            if (o.length != a.length) return "outputs differ in size: adjoint " + a.length + ", onnxruntime " + o.length;
            double diff = 0, scale = 0;
            for (int i = 0; i < a.length; i++) {
                diff = Math.max(diff, Math.abs(a[i] - o[i]));
                scale = Math.max(scale, Math.abs(o[i]));
            }
            return String.format("output %s %s: max |adjoint - onnxruntime| = %.3g (%.2g of the largest magnitude %.3g)",
                    outputs.get(0).dtype().label(), outputs.get(0).shape(), diff, scale == 0 ? 0 : diff / scale, scale);
        }
    }

    private static double[] doubles(OnnxTensor t) {
        int n = (int) t.getInfo().getNumElements();
        double[] v = new double[n];
        switch (t.getInfo().type) {
            case FLOAT -> { FloatBuffer b = t.getFloatBuffer(); for (int i = 0; i < n; i++) v[i] = b.get(i); }
            case DOUBLE -> { DoubleBuffer b = t.getDoubleBuffer(); for (int i = 0; i < n; i++) v[i] = b.get(i); }
            case INT32 -> { IntBuffer b = t.getIntBuffer(); for (int i = 0; i < n; i++) v[i] = b.get(i); }
            case INT64 -> { LongBuffer b = t.getLongBuffer(); for (int i = 0; i < n; i++) v[i] = b.get(i); }
            case BOOL -> { ByteBuffer b = t.getByteBuffer(); for (int i = 0; i < n; i++) v[i] = b.get(i); }
            default -> throw new IllegalArgumentException("ONNX Runtime output type " + t.getInfo().type + " is not compared");
        }
        return v;
    }

    /** Random values for one input as the typed array the plan takes. */
    private static Object randomValues(Tensor t, SplittableRandom rnd) {
        int n = t.shape().size();
        return switch (t.dtype()) {
            case F32 -> { float[] v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float) rnd.nextDouble(-1, 1); yield v; }
            case F64 -> { double[] v = new double[n]; for (int i = 0; i < n; i++) v[i] = rnd.nextDouble(-1, 1); yield v; }
            case I32 -> new int[n];
            case I64 -> new long[n];
            case BOOL -> new boolean[n];
        };
    }

    private static OnnxTensor ortTensor(OrtEnvironment env, Tensor t, Object values) throws OrtException {
        long[] shape = Arrays.stream(t.shape().dims()).asLongStream().toArray();
        return switch (values) {
            case float[] v -> OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape);
            case double[] v -> OnnxTensor.createTensor(env, DoubleBuffer.wrap(v), shape);
            case int[] v -> OnnxTensor.createTensor(env, IntBuffer.wrap(v), shape);
            case long[] v -> OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape);
            case boolean[] v -> {
                ByteBuffer b = ByteBuffer.allocateDirect(v.length).order(ByteOrder.nativeOrder());
                for (boolean x : v) b.put((byte) (x ? 1 : 0));
                yield OnnxTensor.createTensor(env, b.flip(), shape, OnnxJavaType.BOOL);
            }
            default -> throw new IllegalArgumentException("unexpected input values " + values.getClass());
        };
    }
}
