package dev.adjoint.bench.cli;

import dev.adjoint.bench.train.LeNet;
import dev.adjoint.bench.train.Mlp;
import dev.adjoint.bench.train.Model;

/** {@code --model}: the architectures the commands build. */
public enum ModelChoice {
    /** Fully connected layers with ReLU ({@code --hidden}, default 256,128). */
    mlp(new int[] {256, 128}),
    /** LeNet-like: two conv 5x5 + max pool stages, then dense layers ({@code --hidden}, default 120,84). */
    cnn(new int[] {120, 84});

    private final int[] defaultHidden;

    ModelChoice(int[] defaultHidden) { this.defaultHidden = defaultHidden; }

    /** The model for 28x28 grey images and 10 classes; {@code hidden} null means the default widths. */
    public Model build(int[] hidden) {
        int[] h = hidden == null ? defaultHidden : hidden;
        return switch (this) {
            case mlp -> new Mlp(28 * 28, h, 10);
            case cnn -> new LeNet(28, h, 10);
        };
    }
}
