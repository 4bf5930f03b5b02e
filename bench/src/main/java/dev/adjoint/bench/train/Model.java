package dev.adjoint.bench.train;

import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A classifier whose parameters are graph inputs: {@link #parameters} says what they are and how
 * to initialize them, {@link #forward} builds logits from a batch of flattened examples.
 */
public interface Model {
    /**
     * One parameter.
     *
     * @param name the graph input's name, e.g. {@code "w0"}
     * @param shape its shape
     * @param fanIn inputs feeding each output unit (for He initialization); 0 means start at zero
     */
    record Parameter(String name, Shape shape, int fanIn) {
        /** He-uniform values for a weight ({@code fanIn > 0}), zeros for a bias. */
        public float[] initialize(SplittableRandom rnd) {
            float[] v = new float[Math.toIntExact(shape.size())];
            if (fanIn > 0) {
                float limit = (float) Math.sqrt(6.0 / fanIn);  // keeps ReLU activations' variance steady
                for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextDouble(-limit, limit);
            }
            return v;
        }
    }

    /** One line: the architecture, e.g. {@code "MLP 784-256-128-10"}. */
    String describe();

    /** The parameters, in the order {@link #forward} takes them. */
    List<Parameter> parameters();

    /**
     * The logits {@code [batch, classes]} of {@code x [batch, features]}.
     *
     * @param params graph inputs for {@link #parameters}, in order
     * @param scopes records the nodes of each layer (for drawing the graph)
     */
    Tensor forward(Tensor x, List<Tensor> params, Scopes scopes);
}
