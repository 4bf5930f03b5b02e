package dev.adjoint.bench.perf;

import dev.adjoint.train.Batch;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainStep;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.WorkSplitter;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The kernels {@code adjoint bench} times, each as a small graph compiled with {@link Cpu#compile}
 * (so what is measured is what a user's plan runs), with its work in FLOPs and in bytes moved.
 */
public final class Kernels {
    private Kernels() {}

    /**
     * A compiled case.
     *
     * @param name kernel family ({@code gemm}, {@code conv}, ...)
     * @param size the problem, for the report
     * @param plan what runs
     * @param feeds its inputs
     * @param flops floating-point operations per run
     * @param bytes bytes a run must at least read and write
     * @param memoryBound whether the figure to report is GB/s (else GFLOP/s)
     * @param examples examples per run (training only, else 0)
     */
    public record Case(String name, String size, Plan plan, Object[] feeds, double flops, double bytes, boolean memoryBound, int examples) {
        /** Arithmetic intensity, FLOPs per byte. */
        public double intensity() { return flops / bytes; }
    }

    /** The kernel families, in the order {@code all} runs them. */
    public static final List<String> NAMES = List.of("gemm", "conv", "elementwise", "reduce", "train");

    /** Builds case {@code name}; {@code quick} picks smaller problems. */
    public static Case build(String name, boolean quick, WorkSplitter splitter) {
        CompileOptions o = CompileOptions.defaults().withSplitter(splitter);
        Graph g = new Graph();
        return switch (name) {
            case "gemm" -> {
                int n = quick ? 256 : 512;
                Tensor a = g.input("a", n, n), b = g.input("b", n, n);
                Plan p = Cpu.compile(List.of(a.matmul(b)), o);
                yield new Case(name, n + "x" + n + "x" + n, p, random(p), 2.0 * n * n * n, 3.0 * 4 * n * n, false, 0);
            }
            case "conv" -> {
                int batch = quick ? 4 : 8, side = 32, c = quick ? 32 : 64;
                Tensor x = g.input("x", batch, side, side, c), k = g.input("k", 3, 3, c, c);
                Plan p = Cpu.compile(List.of(Nn.conv(x, k, new int[] {1, 1}, new int[] {1, 1})), o);
                double flops = 2.0 * batch * side * side * c * 9 * c;
                double bytes = 4.0 * (2.0 * batch * side * side * c + 9.0 * c * c);
                yield new Case(name, "3x3 " + c + "->" + c + " on " + batch + "x" + side + "x" + side, p, random(p), flops, bytes, false, 0);
            }
            case "elementwise" -> {
                int n = quick ? 1 << 21 : 1 << 22;
                Tensor a = g.input("a", n), b = g.input("b", n);
                Plan p = Cpu.compile(List.of(a.mul(b).add(a)), o);
                yield new Case(name, "a*b+a, " + n + " floats", p, random(p), 2.0 * n, 12.0 * n, true, 0);
            }
            case "reduce" -> {
                int n = quick ? 1 << 22 : 1 << 24;
                Tensor a = g.input("a", n);
                Plan p = Cpu.compile(List.of(a.sum()), o);
                yield new Case(name, "sum of " + n + " floats", p, random(p), n, 4.0 * n, true, 0);
            }
            case "train" -> {
                int batch = 128;
                var m = dev.adjoint.bench.cli.ModelChoice.mlp.build(new int[] {256, 128});
                TrainStep.Trace step = TrainStep.of(m, Sgd.of(0.01, 0.9), dev.adjoint.graph.Nn::crossEntropy)
                        .trace(new Batch(HostArray.f32(new float[batch * 784], batch, 784), HostArray.i32(new int[batch], batch)));
                Plan p = Cpu.compile(step.outputs(), o);
                Object[] f = typedRandom(p);
                int[] labels = (int[]) f[p.inputs().indexOf(step.inputs().get(step.inputs().size() - 1))];
                for (int i = 0; i < labels.length; i++) labels[i] = i % 10;
                long weights = m.parameterCount();
                // Forward, input gradient and weight gradient: three GEMMs of 2 FLOPs per weight and example.
                double flops = 6.0 * batch * weights;
                double bytes = 4.0 * (3.0 * weights + batch * 784.0);
                yield new Case(name, "MLP 784-256-128-10 SGD step, batch " + batch, p, f, flops, bytes, false, batch);
            }
            default -> throw new IllegalArgumentException("unknown kernel '" + name + "'; one of " + NAMES + " or all");
        };
    }

    /** Random feeds of each input's own type (the training step also reads i32 labels and an i32 key). */
    private static Object[] typedRandom(Plan p) {
        SplittableRandom rnd = new SplittableRandom(7);
        Object[] f = new Object[p.inputs().size()];
        for (int i = 0; i < f.length; i++) {
            int n = p.inputs().get(i).shape().size();
            if (p.inputs().get(i).dtype() == dev.adjoint.graph.DType.I32) {
                f[i] = new int[n];
            } else {
                float[] v = new float[n];
                for (int j = 0; j < n; j++) v[j] = (float) rnd.nextDouble(-0.1, 0.1);
                f[i] = v;
            }
        }
        return f;
    }

    private static float[][] random(Plan p) {
        SplittableRandom rnd = new SplittableRandom(7);
        float[][] f = new float[p.inputs().size()][];
        for (int i = 0; i < f.length; i++) {
            f[i] = new float[p.inputs().get(i).shape().size()];
            for (int j = 0; j < f[i].length; j++) f[i][j] = (float) rnd.nextDouble(-0.1, 0.1);
        }
        return f;
    }

    /**
     * Timing of one case.
     *
     * @param secondsPerRun median over repetitions of the mean time per run
     * @param min fastest repetition's time per run
     * @param max slowest repetition's time per run
     * @param repetitions how many repetitions
     */
    public record Timing(double secondsPerRun, double min, double max, int repetitions) {
        /** The median, fastest and slowest of window times {@code t} (seconds per run; at least one). */
        static Timing of(double[] t) {
            double[] s = t.clone();
            Arrays.sort(s);
            int n = s.length;
            return new Timing(median(s), s[0], s[n - 1], n);
        }

        /** The median of sorted {@code s}. */
        static double median(double[] s) {
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }

        /** (max - min) / median, the spread over repetitions. */
        public double spread() { return (max - min) / secondsPerRun; }
    }

    /**
     * Warms {@code c} up for {@code warmMillis} and at least 20 runs (the first runs of a plan are
     * interpreted and compiled), then on, window by window, while a window still runs more than 5%
     * faster than the one before (a training step's small kernels run once per step and reach C2
     * only after hundreds of steps: a fixed warm-up left them compiling inside the timed windows,
     * a 989% spread), up to 40 windows; then times {@code reps} windows of {@code repMillis} each.
     */
    public static Timing time(Case c, long warmMillis, int reps, long repMillis) {
        Object[] feeds = c.feeds();
        return time(() -> c.plan().run(feeds), warmMillis, reps, repMillis);
    }

    /** {@link #time(Case, long, int, long)} of any run, e.g. a training step through the user's API. */
    public static Timing time(Runnable run, long warmMillis, int reps, long repMillis) {
        warm(run, warmMillis, repMillis);
        double[] t = new double[reps];
        for (int r = 0; r < reps; r++) t[r] = window(run, repMillis);
        return Timing.of(t);
    }

    /** The warm-up of {@link #time(Runnable, long, int, long)}: {@code warmMillis} and 20 runs, then windows until one is no more than 5% faster than the last. */
    static void warm(Runnable run, long warmMillis, long repMillis) {
        long warmEnd = System.nanoTime() + warmMillis * 1_000_000L;
        for (int runs = 0; runs < 20 || System.nanoTime() < warmEnd; runs++) run.run();
        double last = window(run, repMillis);
        for (int w = 0; w < 40; w++) {
            double now = window(run, repMillis);
            if (now > 0.95 * last) break;
            last = now;
        }
    }

    /** Mean seconds per run over a window of about {@code millis} (at least one run). */
    static double window(Runnable run, long millis) {
        long start = System.nanoTime(), end = start + millis * 1_000_000L, now;
        int runs = 0;
        do {
            run.run();
            runs++;
            now = System.nanoTime();
        } while (now < end);
        return (now - start) / 1e9 / runs;
    }
}
