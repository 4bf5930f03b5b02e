package dev.adjoint.bench;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.graph.Nn;
import dev.adjoint.kernels.WorkSplitter;
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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One training step of {@link TrainStepTiming}'s models on one thread (the serial splitter), timed
 * in thread CPU time ({@code ThreadMXBean.getCurrentThreadCpuTime}), which time-slicing on a
 * shared machine does not inflate: the median, min and max ms per step over repetitions of 20
 * steps. {@code bench/peers/torch_train_step_cpu.py} is the PyTorch peer ({@code time.thread_time}, 1 thread).
 */
public final class TrainStepCpuTime {
    private TrainStepCpuTime() {}

    static double[] time(Layer model, int[] dims, int reps) {
        TrainStep step = TrainStep.of(model, Sgd.of(0.01, 0.9), Nn::crossEntropy).withDonation()
                .with(8, CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
        TrainState s = step.init(0);
        SplittableRandom r = new SplittableRandom(1);
        int n = dims[0], size = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        float[] x = new float[size];
        int[] y = new int[n];
        for (int i = 0; i < size; i++) x[i] = (float) r.nextDouble();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
        Batch b = new Batch(HostArray.f32(x, dims), HostArray.i32(y, n));
        for (int i = 0; i < 40; i++) s = step.run(s, b).state();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[] ms = new double[reps];
        for (int k = 0; k < reps; k++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < 20; i++) s = step.run(s, b).state();
            ms[k] = (mx.getCurrentThreadCpuTime() - t0) / 20 / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[reps / 2], ms[0], ms[reps - 1]};
    }

    /** MLP 784-512-512-10, as {@link TrainStepTiming}'s. */
    static Layer mlp() {
        return Sequential.of(Linear.of(784, 512), Activation.RELU, Linear.of(512, 512), Activation.RELU, Linear.of(512, 10));
    }

    /** LeNet-5, channels last (as {@code --model cnn} and {@link TrainStepTiming}'s). */
    static Layer lenet() {
        return Sequential.of(Conv.conv2d(1, 6, 5).padding(2).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(),
                Conv.conv2d(6, 16, 5).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(), Flatten.of(),
                Linear.of(400, 120), Activation.RELU, Linear.of(120, 84), Activation.RELU, Linear.of(84, 10));
    }

    /** Runs both cases; the argument is the number of repetitions (default 7). */
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        double[] a = time(mlp(), new int[] {128, 784}, reps), c = time(lenet(), new int[] {64, 28, 28, 1}, reps);
        System.out.printf(Locale.ROOT, "adjoint 1 thread MLP 784-512-512-10 batch 128 SGD step: cpu median %.2f ms [%.2f, %.2f]%n", a[0], a[1], a[2]);
        System.out.printf(Locale.ROOT, "adjoint 1 thread LeNet-5 batch 64 SGD step: cpu median %.2f ms [%.2f, %.2f]%n", c[0], c[1], c[2]);
    }
}
