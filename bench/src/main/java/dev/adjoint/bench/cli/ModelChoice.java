package dev.adjoint.bench.cli;

import dev.adjoint.train.Activation;
import dev.adjoint.train.Conv;
import dev.adjoint.train.Flatten;
import dev.adjoint.train.Layer;
import dev.adjoint.train.Linear;
import dev.adjoint.train.Pool;
import dev.adjoint.train.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** {@code --model}: the architectures the commands build, from {@code dev.adjoint.train} layers. */
public enum ModelChoice {
    /** Fully connected layers with ReLU ({@code --hidden}, default 256,128). */
    mlp(new int[] {256, 128}),
    /** LeNet-5-like, channels last: two conv 5x5 + ReLU + 2x2 max pool stages, then dense layers ({@code --hidden}, default 120,84). */
    cnn(new int[] {120, 84});

    private final int[] defaultHidden;

    ModelChoice(int[] defaultHidden) { this.defaultHidden = defaultHidden; }

    private int[] widths(int[] hidden) { return hidden == null ? defaultHidden : hidden; }

    /** The model for 28x28 grey images and 10 classes; {@code hidden} null means the default widths. */
    public Layer build(int[] hidden) {
        List<Layer> layers = new ArrayList<>();
        int in;
        if (this == cnn) {
            // Channels last: the executor's native convolution layout, so no transposes run.
            layers.addAll(List.of(Conv.conv2d(1, 6, 5).padding(2).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(),
                    Conv.conv2d(6, 16, 5).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(), Flatten.of()));
            in = 16 * 5 * 5;
        } else {
            in = 28 * 28;
        }
        for (int h : widths(hidden)) {
            layers.add(Linear.of(in, h).withInit(dev.adjoint.train.Init.kaimingUniform()));
            layers.add(Activation.RELU);
            in = h;
        }
        layers.add(Linear.of(in, 10));
        return new Sequential(layers);
    }

    /** The shape of a batch of {@code n} images as the model takes it. */
    public int[] inputDims(int n) { return this == cnn ? new int[] {n, 28, 28, 1} : new int[] {n, 28 * 28}; }

    /** One line, e.g. {@code MLP 784-256-128-10}. */
    public String describe(int[] hidden) {
        String h = Arrays.stream(widths(hidden)).mapToObj(Integer::toString).collect(Collectors.joining("-"));
        return this == cnn ? "CNN (LeNet-like) conv5x5x6-pool-conv5x5x16-pool-400-" + h + "-10" : "MLP 784-" + h + "-10";
    }
}
