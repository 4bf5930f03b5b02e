package dev.adjoint.bench.train;

import dev.adjoint.bench.data.Dataset;
import dev.adjoint.kernels.WorkSplitter;
import java.io.PrintStream;

/**
 * Trains a multi-layer perceptron classifier (ReLU hidden layers, softmax cross-entropy) with SGD
 * and momentum: {@link Trainer} with an {@link Mlp} and {@link Optimizer.Sgd}, reporting one line
 * per epoch.
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
            if (batch < 1 || epochs < 0 || !(learningRate > 0) || !Float.isFinite(learningRate) || !(momentum >= 0) || momentum >= 1) {
                throw new IllegalArgumentException("train: need batch >= 1, epochs >= 0, finite learning rate > 0, 0 <= momentum < 1");
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
        var result = Trainer.train(train, test, new Trainer.Config(new Mlp(train.featureSize(), cfg.hidden(), train.classes()),
                new Optimizer.Sgd(cfg.learningRate(), cfg.momentum()), cfg.batch(), cfg.epochs(), cfg.seed(), cfg.splitter()),
                new Trainer.Listener() {
                    @Override public void epochDone(Trainer.Epoch e) { log.println(EpochLine.of(e)); }
                });
        Trainer.Epoch last = result.last();
        return last == null ? new Result(Double.NaN, Double.NaN, 0)
                : new Result(last.loss(), last.testAccuracy(), last.examplesPerSecond());
    }
}
