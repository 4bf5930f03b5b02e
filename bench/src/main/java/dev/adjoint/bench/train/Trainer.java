package dev.adjoint.bench.train;

import dev.adjoint.bench.data.Dataset;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.graph.Nn;
import dev.adjoint.kernels.WorkSplitter;
import dev.adjoint.train.Batch;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Layer;
import dev.adjoint.train.Metrics;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.TrainState;
import dev.adjoint.train.TrainStep;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * The command line's training loop over {@code dev.adjoint.train}: a {@link TrainStep} (one
 * compiled graph per batch size: forward, reverse-mode gradient, update, accuracy) run over
 * shuffled batches, the last partial batch included, and evaluation on the test set after each
 * epoch. All the machinery is the library's; this class only feeds data and reports.
 */
public final class Trainer {
    /**
     * What to train and how.
     *
     * @param model the classifier
     * @param inputDims the shape the model takes for a batch of n examples
     * @param optimizer the update rule
     * @param batch examples per step (the last batch of an epoch may be smaller)
     * @param epochs passes over the training set
     * @param seed for initialization, shuffling and dropout
     * @param splitter threads for the kernels
     */
    public record Config(Layer model, IntFunction<int[]> inputDims, Optimizer optimizer, int batch, int epochs, long seed,
            WorkSplitter splitter) {
        /** Validates ranges. */
        public Config {
            if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
        }
    }

    /**
     * One epoch's figures.
     *
     * @param epoch counted from 1
     * @param loss mean training loss over the epoch
     * @param testAccuracy fraction of the test set classified correctly after the epoch
     * @param seconds training time of the epoch (evaluation excluded)
     * @param examplesPerSecond training throughput
     * @param cpuSeconds CPU time of the training thread over the epoch (evaluation excluded): on one
     *     thread, the epoch's cost without the time a busy machine gave to other processes (the JIT
     *     compiles on threads of its own, so warm-up shows as slower, interpreted, kernels)
     */
    public record Epoch(int epoch, double loss, double testAccuracy, double seconds, double examplesPerSecond, double cpuSeconds) {}

    /** Told about training as it goes. */
    public interface Listener {
        /** Epoch {@code epoch} of {@code epochs} starts; it has {@code steps} steps of up to {@code batch} examples. */
        default void epochStarted(int epoch, int epochs, int steps, int batch) {}

        /** A step ended; {@code runningLoss} is the mean loss of the epoch so far. */
        default void stepDone(int step, double runningLoss) {}

        /** An epoch ended (after evaluation). */
        default void epochDone(Epoch e) {}
    }

    /**
     * The outcome.
     *
     * @param epochs per-epoch figures
     * @param state the trained state (variables, optimizer state, step)
     */
    public record Result(List<Epoch> epochs, TrainState state) {
        /** The last epoch, or null if there was none. */
        public Epoch last() { return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1); }
    }

    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private Trainer() {}

    /** The step the trainer runs for {@code cfg}. */
    public static TrainStep step(Config cfg) {
        // Donating: each step writes the new weights and momenta into the arrays of the old ones (no copies).
        return TrainStep.of(cfg.model(), cfg.optimizer(), Nn::crossEntropy).with(4, CompileOptions.defaults().withSplitter(cfg.splitter()))
                .withDonation();
    }

    /** A batch of the examples {@code order[from .. from + n)} of {@code data}. */
    static Batch batch(Dataset data, int[] order, int from, int n, IntFunction<int[]> dims) {
        float[] x = new float[n * data.featureSize()], yf = new float[n];
        data.batch(order, from, n, x, yf);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (int) yf[i];
        return new Batch(HostArray.f32(x, dims.apply(n)), HostArray.i32(y, n));
    }

    /** Steps {@link #warm} runs per batch size: enough for the JIT to compile the plan's small kernels (see docs/perf/training.md). */
    public static final int WARM_RUNS = Integer.getInteger("adjoint.warmRuns", 400);

    /**
     * Compiles {@code step} for batches of {@code sizes} examples (labels in {@code [0, classes)}) and runs each plan {@code runs}
     * times on random data, on a throwaway state, so that the first epoch runs compiled kernels rather
     * than the graph compiler and the JIT's interpreter. The real state, its random streams and so
     * the training's results are untouched (a plan's runs are independent of each other). Safe to
     * run on another thread while the data loads, as long as nothing else runs {@code step} then;
     * interrupting that thread ends the warm-up early.
     */
    public static void warm(TrainStep step, Config cfg, int runs, int classes, int... sizes) {
        TrainState s = step.init(cfg.seed());
        for (int n : sizes) {
            if (n < 1) continue;
            // Data like the real data (values in [0, 1), labels over all classes): the JIT's profiles of
            // branches then fit the training that follows (all-zero labels cost a 2x first epoch, measured).
            SplittableRandom rnd = new SplittableRandom(n);
            float[] x = new float[n * size(cfg.inputDims().apply(1))];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
            int[] y = new int[n];
            for (int i = 0; i < n; i++) y[i] = i % Math.max(1, classes);
            Batch batch = new Batch(HostArray.f32(x, cfg.inputDims().apply(n)), HostArray.i32(y, n));
            for (int r = 0; r < Math.max(1, runs); r++) {
                if (Thread.currentThread().isInterrupted()) return; // the caller no longer needs the warm-up
                s = step.run(s, batch).state();
            }
        }
    }

    private static int size(int[] dims) {
        int n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    /** Trains on {@code train}, evaluating on {@code test} after each epoch. */
    public static Result train(Dataset train, Dataset test, Config cfg, Listener listener) {
        TrainStep step = step(cfg);
        warm(step, cfg, WARM_RUNS, train.classes(), Math.min(cfg.batch(), train.size()));
        return train(train, test, cfg, listener, step);
    }

    /**
     * Trains with {@code step} (from {@link #step(Config)}, already {@link #warm warmed} for the full
     * batch, e.g. while the data loaded); the last, partial, batch's plan is compiled and warmed
     * before the first epoch starts, so epoch times are the training's own.
     */
    public static Result train(Dataset train, Dataset test, Config cfg, Listener listener, TrainStep step) {
        int b = cfg.batch();
        if (b > train.size()) throw new IllegalArgumentException("batch " + b + " is larger than the training set (" + train.size() + " examples)");
        if (test.size() == 0) throw new IllegalArgumentException("the test set is empty");
        warm(step, cfg, WARM_RUNS, train.classes(), train.size() % b);
        TrainState s = step.init(cfg.seed());
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        int[] order = new int[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int steps = (train.size() + b - 1) / b;
        List<Epoch> epochs = new ArrayList<>();
        for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
            listener.epochStarted(epoch, cfg.epochs(), steps, b);
            shuffle(order, rnd);
            Metrics seen = Metrics.empty();
            long start = System.nanoTime(), cpuStart = CPU.getCurrentThreadCpuTime();
            for (int i = 0; i < steps; i++) {
                int from = i * b, n = Math.min(b, train.size() - from);
                TrainStep.Result r = step.run(s, batch(train, order, from, n, cfg.inputDims()));
                s = r.state();
                seen = seen.plus(r.metrics());
                listener.stepDone(i + 1, seen.loss());
            }
            double seconds = (System.nanoTime() - start) / 1e9, cpu = (CPU.getCurrentThreadCpuTime() - cpuStart) / 1e9;
            Epoch e = new Epoch(epoch, seen.loss(), evaluate(step, s, test, cfg.inputDims()).accuracy(), seconds, train.size() / seconds, cpu);
            epochs.add(e);
            listener.epochDone(e);
        }
        return new Result(epochs, s);
    }

    /** Loss and accuracy over all of {@code test}, in batches of up to 500 (the last one smaller). */
    public static Metrics evaluate(TrainStep step, TrainState s, Dataset test, IntFunction<int[]> dims) {
        int[] order = new int[test.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Metrics m = Metrics.empty();
        for (int from = 0; from < test.size(); from += 500) {
            m = m.plus(step.evaluate(s.variables(), batch(test, order, from, Math.min(500, test.size() - from), dims)));
        }
        return m;
    }

    private static void shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }
}
