package dev.adjoint.train;

import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * RMSProp as PyTorch's {@code torch.optim.RMSprop} (not centered, no momentum):
 * {@code v = alpha v + (1-alpha) g^2}; {@code p -= lr g / (sqrt(v) + eps)}.
 *
 * @param lr learning rate schedule
 * @param alpha smoothing constant in [0, 1)
 * @param eps added to the root
 */
public record RmsProp(Schedule lr, double alpha, double eps) implements Optimizer {
    /** Checks the ranges. */
    public RmsProp {
        if (!(alpha >= 0 && alpha < 1) || !(eps > 0)) throw new IllegalArgumentException("RMSProp needs alpha in [0, 1), eps > 0");
    }

    /** PyTorch's defaults: alpha 0.99, eps 1e-8. */
    public static RmsProp of(double lr) { return new RmsProp(Schedule.constant(lr), 0.99, 1e-8); }

    @Override public List<String> slots() { return List.of("square_avg"); }

    @Override public Update update(List<Tensor> params, List<Tensor> grads, List<List<Tensor>> slots, Tensor done) {
        Tensor rate = lr.at(done);
        List<Tensor> np = new ArrayList<>(), nv = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor g = grads.get(i);
            Tensor v = slots.get(0).get(i).mul(alpha).add(g.square().mul(1 - alpha));
            nv.add(v);
            np.add(params.get(i).sub(g.div(v.sqrt().add(eps)).mul(rate)));
        }
        return new Update(np, List.of(nv));
    }

    @Override public String describe() { return "RMSprop(lr=" + lr.initial() + ", alpha=" + alpha + ")"; }
}
