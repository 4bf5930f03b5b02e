package dev.adjoint.train;

import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Layers applied in order; child {@code i}'s variables are named {@code i.<name>} as in
 * PyTorch's {@code nn.Sequential}, so a state dict of the same architecture lines up.
 *
 * @param layers the layers
 */
public record Sequential(List<Layer> layers) implements Layer {
    /** Copies the list. */
    public Sequential {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) throw new IllegalArgumentException("Sequential needs at least one layer");
    }

    /** {@code Sequential(layers...)}. */
    public static Sequential of(Layer... layers) { return new Sequential(List.of(layers)); }

    @Override public List<ParamSpec> variables() {
        List<ParamSpec> p = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) for (ParamSpec s : layers.get(i).variables()) p.add(s.prefixed(Integer.toString(i)));
        return p;
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
            int from = h.graph().size();
            h = layers.get(i).apply(v.child(Integer.toString(i)), h);
            v.record(Integer.toString(i), layers.get(i), h, from);
        }
        return h;
    }

    @Override public String describe() { return "Sequential(" + layers.size() + " layers)"; }
}
