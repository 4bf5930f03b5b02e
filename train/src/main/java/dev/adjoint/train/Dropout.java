package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * Inverted dropout ({@link Nn#dropout}): in training each element is zeroed with probability
 * {@code rate} and the rest scaled by {@code 1 / (1 - rate)}; the identity in evaluation. The mask
 * comes from a key split off the step's key input, so a step is a pure function of its inputs.
 *
 * @param rate probability of dropping, in [0, 1]
 */
public record Dropout(double rate) implements Layer {
    /** Checks the rate. */
    public Dropout {
        if (!(rate >= 0 && rate <= 1)) throw new IllegalArgumentException("Dropout needs a rate in [0, 1], got " + rate);
    }

    /** {@code Dropout(rate)}. */
    public static Dropout of(double rate) { return new Dropout(rate); }

    @Override public List<ParamSpec> variables() { return List.of(); }

    @Override public Tensor apply(Vars v, Tensor x) {
        if (!v.training() || rate == 0) return x;
        return Nn.dropout(x, v.nextKey(), rate, true);
    }

    @Override public String describe() { return "Dropout(" + rate + ")"; }
}
