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
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a multi-layer perceptron classifier (ReLU hidden layers, softmax cross-entropy) with SGD
 * and momentum, the way Adjoint is meant to be used: the whole training step (forward, gradients
 * by reverse mode, update) is one graph, compiled once and run once per batch.
 */
public final class MlpTraining {
    private MlpTraining() {}

    /**
     * Hyper-parameters.
     *
     * @param hidden sizes of the hidden layers
     * @param batch examples per step (the last partial batch of an epoch is dropped: shapes are static)
     * @param learningRate SGD step size
     * @param momentum heavy-ball momentum in [0, 1)
     * @param epochs passes over the training set
     * @param seed for initialization and shuffling
     * @param splitter threads for the kernels
     */
    public record Config(int[] hidden, int batch, float learningRate, float momentum, int epochs, long seed, WorkSplitter splitter) {
        /** Validates ranges. */
        public Config {
            if (batch < 1 || epochs < 0 || learningRate <= 0 || momentum < 0 || momentum >= 1) {
                throw new IllegalArgumentException("train: need batch >= 1, epochs >= 0, learning rate > 0, 0 <= momentum < 1");
            }
        }
    }

    /**
     * What training reached.
     *
     * @param lastEpochLoss mean training loss over the last epoch
     * @param testAccuracy fraction of the test set classified correctly after the last epoch
     * @param examplesPerSecond training throughput over the last epoch
     */
    public record Result(double lastEpochLoss, double testAccuracy, double examplesPerSecond) {}

    /** Trains on {@code train}, reporting each epoch's loss, test accuracy and throughput to {@code log}. */
    public static Result train(Dataset train, Dataset test, Config cfg, PrintStream log) {
        int features = train.featureSize(), classes = train.classes(), b = cfg.batch();
        Graph g = new Graph();
        Tensor x = g.input("x", b, features), labels = g.input("labels", b);
        List<Tensor> params = new ArrayList<>(), velocities = new ArrayList<>();
        List<float[]> paramValues = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        int in = features;
        int[] widths = java.util.Arrays.copyOf(cfg.hidden(), cfg.hidden().length + 1);
        widths[widths.length - 1] = classes;
        for (int layer = 0; layer < widths.length; layer++) {
            int out = widths[layer];
            params.add(g.input("w" + layer, in, out));
            params.add(g.input("b" + layer, out));
            float limit = (float) Math.sqrt(6.0 / in);  // He-uniform: keeps ReLU activations' variance steady
            float[] w = new float[in * out];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-limit, limit);
            paramValues.add(w);
            paramValues.add(new float[out]);
            in = out;
        }
        for (Tensor p : params) velocities.add(g.input("v_" + ((dev.adjoint.graph.op.Input) p.op()).label(), p.shape()));

        Tensor loss = Nn.crossEntropy(forward(x, params), labels);
        List<Tensor> grads = Autodiff.grad(loss, params);
        List<Tensor> outputs = new ArrayList<>(List.of(loss));
        List<Tensor> newVelocities = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor v = velocities.get(i).mul(cfg.momentum()).add(grads.get(i));
            newVelocities.add(v);
            outputs.add(params.get(i).sub(v.mul(cfg.learningRate())));
        }
        outputs.addAll(newVelocities);
        CompileOptions options = CompileOptions.defaults().withSplitter(cfg.splitter());
        Plan step = Cpu.compile(outputs, options);

        int evalBatch = 500;
        Tensor evalX = g.input("eval_x", evalBatch, features);
        Plan eval = Cpu.compile(List.of(forward(evalX, params)), options);

        // State lives in arrays we own; each step's outputs are copied back (the copies are tiny next to the GEMMs).
        Map<Tensor, float[]> state = new HashMap<>();
        for (int i = 0; i < params.size(); i++) {
            state.put(params.get(i), paramValues.get(i));
            state.put(velocities.get(i), new float[paramValues.get(i).length]);
        }
        float[] xb = new float[b * features], yb = new float[b];
        state.put(x, xb);
        state.put(labels, yb);
        float[][] stepFeeds = feeds(step, state);

        int[] order = new int[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int steps = train.size() / b;
        double lastLoss = Double.NaN, accuracy = Double.NaN, throughput = 0;
        for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
            shuffle(order, rnd);
            double sum = 0;
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                train.batch(order, s * b, b, xb, yb);
                step.run(stepFeeds);
                sum += step.output(0)[0];
                for (int i = 0; i < params.size(); i++) {
                    System.arraycopy(step.output(1 + i), 0, state.get(params.get(i)), 0, paramValues.get(i).length);
                    System.arraycopy(step.output(1 + params.size() + i), 0, state.get(velocities.get(i)), 0, paramValues.get(i).length);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            lastLoss = sum / steps;
            throughput = steps * (double) b / seconds;
            accuracy = accuracy(eval, state, evalX, test, classes);
            log.printf("epoch %d: loss %.4f, test accuracy %.2f%%, %.1f s, %.0f examples/s%n",
                    epoch, lastLoss, 100 * accuracy, seconds, throughput);
        }
        return new Result(lastLoss, accuracy, throughput);
    }

    private static Tensor forward(Tensor x, List<Tensor> params) {
        Tensor h = x;
        for (int i = 0; i < params.size(); i += 2) {
            h = Nn.linear(h, params.get(i), params.get(i + 1));
            if (i + 2 < params.size()) h = h.relu();
        }
        return h;
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
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
