package dev.adjoint.bench.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A LeNet-5-like convolutional network for square single-channel images, channels last:
 * conv 5x5 (6 filters, same padding), ReLU, 2x2 max pool; conv 5x5 (16 filters, valid), ReLU,
 * 2x2 max pool; then fully connected layers (default 120 and 84 wide) with ReLU, and the
 * classifier. Built from {@link Nn#conv} and {@link Nn#maxPool}, so its gradient comes from the
 * primitives' rules like any other graph's.
 *
 * @param side image height and width (28 for Fashion-MNIST)
 * @param hidden widths of the fully connected hidden layers
 * @param classes output size
 */
public record LeNet(int side, int[] hidden, int classes) implements Model {
    private static final int C1 = 6, C2 = 16, K = 5;

    /** Checks that the image is large enough for two convolutions and two poolings. */
    public LeNet {
        hidden = hidden.clone();
        if (side < 12) throw new IllegalArgumentException("LeNet needs images of at least 12x12, got " + side + "x" + side);
    }

    /** Side of the feature maps entering the dense layers. */
    private int flatSide() { return ((side / 2) - K + 1) / 2; }

    private int flat() { return flatSide() * flatSide() * C2; }

    @Override public String describe() {
        StringBuilder sb = new StringBuilder("CNN (LeNet-like) conv5x5x" + C1 + "-pool-conv5x5x" + C2 + "-pool-" + flat());
        for (int h : hidden) sb.append('-').append(h);
        return sb.append('-').append(classes).toString();
    }

    @Override public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>();
        p.add(new Parameter("conv1_k", Shape.of(K, K, 1, C1), K * K));
        p.add(new Parameter("conv1_b", Shape.of(C1), 0));
        p.add(new Parameter("conv2_k", Shape.of(K, K, C1, C2), K * K * C1));
        p.add(new Parameter("conv2_b", Shape.of(C2), 0));
        int in = flat();
        for (int i = 0; i <= hidden.length; i++) {
            int out = i < hidden.length ? hidden[i] : classes;
            p.add(new Parameter("w" + i, Shape.of(in, out), in));
            p.add(new Parameter("b" + i, Shape.of(out), 0));
            in = out;
        }
        return p;
    }

    @Override public Tensor forward(Tensor x, List<Tensor> params, Scopes scopes) {
        int n = x.dim(0);
        var g = x.graph();
        int[] two = {2, 2}, none = {0, 0}, pad = {K / 2, K / 2}, one = {1, 1};
        Tensor image = scopes.record(g, "image " + side + "x" + side + "x1", () -> x.reshape(n, side, side, 1));
        Tensor c1 = scopes.record(g, "conv1 5x5x" + C1 + ", relu, maxpool 2x2", () ->
                Nn.maxPool(Nn.conv(image, params.get(0), one, pad).add(params.get(1)).relu(), two, two, none));
        Tensor c2 = scopes.record(g, "conv2 5x5x" + C2 + ", relu, maxpool 2x2", () ->
                Nn.maxPool(Nn.conv(c1, params.get(2)).add(params.get(3)).relu(), two, two, none));
        Tensor h = scopes.record(g, "flatten " + flat(), () -> c2.reshape(n, flat()));
        int dense = (params.size() - 4) / 2;
        for (int i = 0; i < dense; i++) {
            Tensor in = h, w = params.get(4 + 2 * i), b = params.get(5 + 2 * i);
            boolean last = i == dense - 1;
            h = scopes.record(g, "dense" + i + " " + w.dim(0) + "->" + w.dim(1) + (last ? "" : ", relu"), () -> {
                Tensor y = Nn.linear(in, w, b);
                return last ? y : y.relu();
            });
        }
        return h;
    }
}
