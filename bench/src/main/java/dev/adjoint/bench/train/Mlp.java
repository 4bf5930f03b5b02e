package dev.adjoint.bench.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A multi-layer perceptron: fully connected layers with ReLU between them.
 *
 * @param features input size
 * @param hidden hidden layer widths
 * @param classes output size
 */
public record Mlp(int features, int[] hidden, int classes) implements Model {
    /** Copies {@code hidden}. */
    public Mlp {
        hidden = hidden.clone();
    }

    private int[] widths() {
        int[] w = new int[hidden.length + 2];
        w[0] = features;
        System.arraycopy(hidden, 0, w, 1, hidden.length);
        w[w.length - 1] = classes;
        return w;
    }

    @Override public String describe() {
        return "MLP " + Arrays.stream(widths()).mapToObj(Integer::toString).collect(Collectors.joining("-"));
    }

    @Override public List<Parameter> parameters() {
        int[] w = widths();
        List<Parameter> p = new ArrayList<>();
        for (int layer = 0; layer + 1 < w.length; layer++) {
            p.add(new Parameter("w" + layer, Shape.of(w[layer], w[layer + 1]), w[layer]));
            p.add(new Parameter("b" + layer, Shape.of(w[layer + 1]), 0));
        }
        return p;
    }

    @Override public Tensor forward(Tensor x, List<Tensor> params, Scopes scopes) {
        Tensor h = x;
        int layers = params.size() / 2;
        for (int i = 0; i < layers; i++) {
            Tensor in = h, w = params.get(2 * i), b = params.get(2 * i + 1);
            boolean last = i == layers - 1;
            h = scopes.record(x.graph(), "dense" + i + " " + w.dim(0) + "->" + w.dim(1) + (last ? "" : ", relu"), () -> {
                Tensor y = Nn.linear(in, w, b);
                return last ? y : y.relu();
            });
        }
        return h;
    }
}
