package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * Batch normalisation as PyTorch's {@code BatchNormNd}: in training, normalise with this batch's
 * statistics and update the running ones,
 * {@code running = (1 - momentum) running + momentum * stat}, the variance unbiased
 * ({@code n / (n - 1)}); in evaluation, normalise with the running statistics. The running
 * statistics are state variables ({@code running_mean}, {@code running_var}): the step returns
 * their new values.
 *
 * @param features channels
 * @param eps added to the variance
 * @param momentum weight of the new statistics in the running average
 * @param layout where the channel axis is
 */
public record BatchNorm(int features, double eps, double momentum, Layout layout) implements Layer {
    /** Checks the ranges. */
    public BatchNorm {
        if (features < 1) throw new IllegalArgumentException("BatchNorm needs features >= 1, got " + features);
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm needs eps > 0 and momentum in [0, 1], got " + eps + ", " + momentum);
        }
    }

    /** PyTorch's defaults: eps 1e-5, momentum 0.1, channels first. */
    public static BatchNorm of(int features) { return new BatchNorm(features, 1e-5, 0.1, Layout.NCHW); }

    /** The same, channels last. */
    public BatchNorm nhwc() { return new BatchNorm(features, eps, momentum, Layout.NHWC); }

    @Override public List<ParamSpec> variables() {
        Shape c = Shape.of(features);
        return List.of(ParamSpec.param("weight", c, Init.constant(1), 0, 0), ParamSpec.param("bias", c, Init.zeros(), 0, 0),
                ParamSpec.state("running_mean", c, Init.zeros()), ParamSpec.state("running_var", c, Init.constant(1)));
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        int axis = layout.channelAxis(x.rank());
        if (x.rank() < 2 || x.dim(axis) != features) {
            throw new IllegalArgumentException(describe() + ": axis " + axis + " of the input must have " + features + " channels; x: " + x.shape());
        }
        Tensor w = v.get("weight"), b = v.get("bias"), rm = v.get("running_mean"), rv = v.get("running_var");
        if (!v.training()) return Nn.batchNormInference(x, rm, rv, w, b, eps, axis);
        Nn.Moments m = Nn.batchNormStats(x.stopGradient(), axis);
        double n = (double) x.shape().size() / features;
        v.update("running_mean", rm.mul(1 - momentum).add(m.mean().mul(momentum)));
        v.update("running_var", rv.mul(1 - momentum).add(m.variance().mul(momentum * n / Math.max(1, n - 1))));
        return Nn.batchNorm(x, w, b, eps, axis);
    }

    @Override public String describe() { return "BatchNorm(" + features + ", " + layout + ")"; }
}
