package dev.adjoint.bench.train;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.bench.data.Dataset;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.WorkSplitter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a {@link Model} with an {@link Optimizer}, the way Adjoint is meant to be used: the whole
 * training step (forward, gradients by reverse mode, update) is one graph, compiled once with
 * {@link Cpu#compile} and run once per batch; the evaluation pass is a second plan over the same
 * parameter inputs.
 */
public final class Trainer {
    /**
     * What to train and how.
     *
     * @param model the classifier
     * @param optimizer the update rule
     * @param batch examples per step (the last partial batch of an epoch is dropped: shapes are static)
     * @param epochs passes over the training set
     * @param seed for initialization and shuffling
     * @param splitter threads for the kernels
     */
    public record Config(Model model, Optimizer optimizer, int batch, int epochs, long seed, WorkSplitter splitter) {
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
     */
    public record Epoch(int epoch, double loss, double testAccuracy, double seconds, double examplesPerSecond) {}

    /** Told about training as it goes. */
    public interface Listener {
        /** Epoch {@code epoch} of {@code epochs} starts; it has {@code steps} steps of {@code batch} examples. */
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
     * @param parameters the trained values, in {@link Model#parameters} order
     */
    public record Result(List<Epoch> epochs, List<float[]> parameters) {
        /** The last epoch, or null if there was none. */
        public Epoch last() { return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1); }
    }

    /**
     * The graph of one training step, for running or drawing.
     *
     * @param graph the graph
     * @param x the batch of examples
     * @param labels the batch's labels
     * @param params the parameter inputs
     * @param update the optimizer's nodes
     * @param loss the mean loss
     * @param outputs loss, new parameters, new optimizer state: what the step plan computes
     * @param scopes the layers' node ranges, then the loss, the gradient and the update
     */
    public record Step(Graph graph, Tensor x, Tensor labels, List<Tensor> params, Optimizer.Update update, Tensor loss,
            List<Tensor> outputs, Scopes scopes) {}

    private Trainer() {}

    /** Builds the training step graph for {@code batch} examples of {@code features} floats. */
    public static Step buildStep(Model model, Optimizer optimizer, int batch, int features) {
        Graph g = new Graph();
        Scopes scopes = new Scopes();
        Tensor x = g.input("x", batch, features), labels = g.input("labels", batch);
        List<Tensor> params = new ArrayList<>();
        for (Model.Parameter p : model.parameters()) params.add(g.input(p.name(), p.shape()));
        Tensor logits = model.forward(x, params, scopes);
        Tensor loss = scopes.record(g, "loss: softmax cross-entropy", () -> Nn.crossEntropy(logits, labels));
        List<Tensor> grads = scopes.record(g, "gradient (Autodiff.grad, reverse mode)", () -> Autodiff.grad(loss, params));
        Optimizer.Update update = scopes.record(g, "update: " + optimizer.describe(), () -> optimizer.build(g, params, grads));
        List<Tensor> outputs = new ArrayList<>(List.of(loss));
        outputs.addAll(update.newParams());
        outputs.addAll(update.newState());
        return new Step(g, x, labels, params, update, loss, outputs, scopes);
    }

    /** Trains on {@code train}, evaluating on {@code test} after each epoch. */
    public static Result train(Dataset train, Dataset test, Config cfg, Listener listener) {
        int features = train.featureSize(), classes = train.classes(), b = cfg.batch();
        if (b > train.size()) throw new IllegalArgumentException("batch " + b + " is larger than the training set (" + train.size() + " examples)");
        if (test.size() == 0) throw new IllegalArgumentException("the test set is empty");
        Step step = buildStep(cfg.model(), cfg.optimizer(), b, features);
        CompileOptions options = CompileOptions.defaults().withSplitter(cfg.splitter());
        Plan plan = Cpu.compile(step.outputs(), options);

        int evalBatch = largestDivisorAtMost(test.size(), 500);
        Tensor evalX = step.graph().input("eval_x", evalBatch, features);
        Plan eval = Cpu.compile(List.of(cfg.model().forward(evalX, step.params(), new Scopes())), options);

        // State lives in arrays we own; each step's outputs are copied back (the copies are tiny next to the GEMMs).
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        Map<Tensor, float[]> state = new HashMap<>();
        List<Model.Parameter> specs = cfg.model().parameters();
        List<float[]> values = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            float[] v = specs.get(i).initialize(rnd);
            values.add(v);
            state.put(step.params().get(i), v);
        }
        List<Tensor> optState = step.update().state();
        for (Tensor s : optState) state.put(s, new float[s.shape().size()]);
        List<Tensor> scalars = step.update().scalars();
        for (Tensor s : scalars) state.put(s, new float[1]);
        float[] xb = new float[b * features], yb = new float[b];
        state.put(step.x(), xb);
        state.put(step.labels(), yb);
        float[][] feeds = feeds(plan, state);

        int[] order = new int[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int steps = train.size() / b, nParams = specs.size();
        long t = 0;
        List<Epoch> epochs = new ArrayList<>();
        for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
            listener.epochStarted(epoch, cfg.epochs(), steps, b);
            shuffle(order, rnd);
            double sum = 0;
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                train.batch(order, s * b, b, xb, yb);
                float[] sv = cfg.optimizer().scalars(++t);
                for (int i = 0; i < scalars.size(); i++) state.get(scalars.get(i))[0] = sv[i];
                plan.run(feeds);
                sum += plan.output(0)[0];
                for (int i = 0; i < nParams; i++) {
                    float[] dst = values.get(i);
                    System.arraycopy(plan.output(1 + i), 0, dst, 0, dst.length);
                }
                for (int i = 0; i < optState.size(); i++) {
                    float[] dst = state.get(optState.get(i));
                    System.arraycopy(plan.output(1 + nParams + i), 0, dst, 0, dst.length);
                }
                listener.stepDone(s + 1, sum / (s + 1));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double accuracy = accuracy(eval, state, evalX, test, classes);
            Epoch e = new Epoch(epoch, sum / steps, accuracy, seconds, steps * (double) b / seconds);
            epochs.add(e);
            listener.epochDone(e);
        }
        return new Result(epochs, values);
    }

    static int largestDivisorAtMost(int n, int max) {
        for (int d = Math.min(n, max); d > 1; d--) if (n % d == 0) return d;
        return 1;
    }

    private static float[][] feeds(Plan plan, Map<Tensor, float[]> state) {
        float[][] f = new float[plan.inputs().size()][];
        for (int i = 0; i < f.length; i++) f[i] = state.get(plan.inputs().get(i));
        return f;
    }

    private static double accuracy(Plan eval, Map<Tensor, float[]> state, Tensor evalX, Dataset test, int classes) {
        int n = evalX.dim(0), features = test.featureSize();
        float[] xb = new float[n * features], yb = new float[n];
        state.put(evalX, xb);
        float[][] f = feeds(eval, state);
        int[] order = new int[test.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int correct = 0, seen = 0;
        for (int s = 0; s + n <= test.size(); s += n) {
            test.batch(order, s, n, xb, yb);
            eval.run(f);
            float[] logits = eval.output(0);
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
                if (best == (int) yb[i]) correct++;
            }
            seen += n;
        }
        return seen == 0 ? Double.NaN : correct / (double) seen;
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
