package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;

/**
 * Group normalisation (PyTorch {@code GroupNorm(groups, channels)}), per-channel weight and bias.
 *
 * @param groups channel groups (divides channels)
 * @param channels channels
 * @param eps added to the variance
 * @param layout where the channel axis is
 */
public record GroupNorm(int groups, int channels, double eps, Layout layout) implements Layer {
    /** Checks the groups. */
    public GroupNorm {
        if (groups < 1 || channels < 1 || channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm needs groups >= 1 dividing channels, got " + groups + ", " + channels);
        }
    }

    /** {@code GroupNorm(groups, channels)}, eps 1e-5, channels first. */
    public static GroupNorm of(int groups, int channels) { return new GroupNorm(groups, channels, 1e-5, Layout.NCHW); }

    @Override public List<ParamSpec> variables() {
        Shape c = Shape.of(channels);
        return List.of(ParamSpec.param("weight", c, Init.constant(1), 0, 0), ParamSpec.param("bias", c, Init.zeros(), 0, 0));
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        return Nn.groupNorm(x, groups, v.get("weight"), v.get("bias"), eps, layout.channelAxis(x.rank()));
    }

    @Override public String describe() { return "GroupNorm(" + groups + ", " + channels + ")"; }
}
