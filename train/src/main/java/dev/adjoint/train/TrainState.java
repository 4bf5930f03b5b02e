package dev.adjoint.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything a training run carries from step to step, as data: the model's variables
 * (parameters and state such as running statistics), the optimizer's state (slot
 * {@code s} of parameter {@code p} is named {@code s + "." + p}, e.g. {@code exp_avg.0.weight}),
 * the number of updates done, and the seed of the dropout keys.
 *
 * @param variables the model's variables
 * @param optimizerState the optimizer's slots
 * @param step updates done so far
 * @param seed dropout keys are derived from (seed, step)
 */
public record TrainState(Params variables, Params optimizerState, long step, long seed) {
    /** Checks for nulls and a negative step. */
    public TrainState {
        Objects.requireNonNull(variables, "variables");
        Objects.requireNonNull(optimizerState, "optimizerState");
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
    }

    /** A fresh state: {@code variables}, zero slots for {@code optimizer}, step 0. */
    public static TrainState of(Params variables, Optimizer optimizer) {
        return new TrainState(variables, Params.init(slotSpecs(variables, optimizer), 0), 0, 0);
    }

    /** The specs of the optimizer's slots for the trainable variables, zeros. */
    static List<ParamSpec> slotSpecs(Params variables, Optimizer optimizer) {
        List<ParamSpec> specs = new ArrayList<>();
        for (String slot : optimizer.slots()) {
            for (ParamSpec p : variables.trainable().specs()) specs.add(ParamSpec.state(slot + "." + p.name(), p.shape(), Init.zeros()));
        }
        return specs;
    }

    /** The same with another seed for the dropout keys. */
    public TrainState withSeed(long s) { return new TrainState(variables, optimizerState, step, s); }
}
