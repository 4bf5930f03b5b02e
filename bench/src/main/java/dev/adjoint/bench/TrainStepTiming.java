package dev.adjoint.bench;

import dev.adjoint.graph.Nn;
import dev.adjoint.train.Activation;
import dev.adjoint.train.Batch;
import dev.adjoint.train.Conv;
import dev.adjoint.train.Flatten;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Layer;
import dev.adjoint.train.Linear;
import dev.adjoint.train.Pool;
import dev.adjoint.train.Sequential;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainState;
import dev.adjoint.train.TrainStep;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times one training step of the benchmark models through {@code dev.adjoint.train}
 * (donating step): MLP 784-512-512-10 at batch 128 and LeNet-5 (NHWC) at batch 64, SGD momentum.
 * Prints the median, min and max over repetitions of 20 steps each, in milliseconds per step;
 * {@code bench/peers/torch_train_step.py} is the PyTorch peer.
 */
public final class TrainStepTiming {
    private TrainStepTiming() {}

    static double[] time(Layer model, int[] dims, int reps) {
        TrainStep step = TrainStep.of(model, Sgd.of(0.01, 0.9), Nn::crossEntropy).withDonation();
        TrainState s = step.init(0);
        SplittableRandom r = new SplittableRandom(1);
        int n = dims[0], size = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        float[] x = new float[size];
        int[] y = new int[n];
        for (int i = 0; i < size; i++) x[i] = (float) r.nextDouble();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
        Batch b = new Batch(HostArray.f32(x, dims), HostArray.i32(y, n));
        for (int i = 0; i < 20; i++) s = step.run(s, b).state();
        double[] ms = new double[reps];
        for (int k = 0; k < reps; k++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) s = step.run(s, b).state();
            ms[k] = (System.nanoTime() - t0) / 20 / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[reps / 2], ms[0], ms[reps - 1]};
    }

    /** Runs both cases; the argument is the number of repetitions (default 7). */
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Layer mlp = Sequential.of(Linear.of(784, 512), Activation.RELU, Linear.of(512, 512), Activation.RELU, Linear.of(512, 10));
        Layer lenet = Sequential.of(Conv.conv2d(1, 6, 5).padding(2).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(),
                Conv.conv2d(6, 16, 5).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(), Flatten.of(),
                Linear.of(400, 120), Activation.RELU, Linear.of(120, 84), Activation.RELU, Linear.of(84, 10));
        double[] a = time(mlp, new int[] {128, 784}, reps), c = time(lenet, new int[] {64, 28, 28, 1}, reps);
        System.out.printf(Locale.ROOT, "adjoint MLP 784-512-512-10 batch 128 SGD step: median %.2f ms [%.2f, %.2f]%n", a[0], a[1], a[2]);
        System.out.printf(Locale.ROOT, "adjoint LeNet-5 batch 64 SGD step: median %.2f ms [%.2f, %.2f]%n", c[0], c[1], c[2]);
    }
}
