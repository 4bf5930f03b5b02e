package dev.adjoint.train;

import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * An update rule as a graph transform, as in Optax: given the parameters, their gradients, the
 * optimizer's state (per-parameter slots such as momentum buffers, each shaped like its
 * parameter and starting at zero) and the step counter, {@link #update} builds the nodes of the
 * new parameters and the new state. The compiled training step contains them; nothing runs on
 * the host.
 */
public interface Optimizer {
    /** The new parameters and slot values. */
    record Update(List<Tensor> params, List<List<Tensor>> slots) {}

    /** Names of the per-parameter state slots (PyTorch's: {@code momentum_buffer}, {@code exp_avg}, ...). */
    List<String> slots();

    /**
     * The update.
     *
     * @param params current values, one per trained parameter
     * @param grads gradients, same order
     * @param slots {@code slots.get(s).get(i)} is slot {@link #slots()}{@code [s]} of parameter i
     * @param done f32 scalar: updates done before this one
     */
    Update update(List<Tensor> params, List<Tensor> grads, List<List<Tensor>> slots, Tensor done);

    /** One line, e.g. {@code SGD(lr=0.01, momentum=0.9)}. */
    String describe();

    /**
     * This optimizer after clipping the gradients by their global norm (PyTorch
     * {@code clip_grad_norm_}): scaled by {@code min(1, maxNorm / (norm + 1e-6))}.
     */
    default Optimizer withClipNorm(double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) throw new IllegalArgumentException("clip norm must be finite and > 0, got " + maxNorm);
        Optimizer inner = this;
        return new Optimizer() {
            @Override public List<String> slots() { return inner.slots(); }

            @Override public Update update(List<Tensor> params, List<Tensor> grads, List<List<Tensor>> slots, Tensor done) {
                Tensor sq = null;
                for (Tensor g : grads) sq = sq == null ? g.square().sum() : sq.add(g.square().sum());
                Tensor scale = sq.sqrt().add(1e-6).reciprocal().mul(maxNorm).min(1.0);
                List<Tensor> clipped = new ArrayList<>();
                for (Tensor g : grads) clipped.add(g.mul(scale));
                return inner.update(params, clipped, slots, done);
            }

            @Override public String describe() { return inner.describe() + " clipped to norm " + maxNorm; }
        };
    }
}
