package dev.adjoint.train;

import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam and AdamW as PyTorch's {@code torch.optim.Adam}/{@code AdamW}: with {@code t = done + 1},
 * {@code m = b1 m + (1-b1) g}, {@code v = b2 v + (1-b2) g^2},
 * {@code p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}. Adam adds {@code wd p} to the
 * gradient (L2); AdamW ({@code decoupled}) first shrinks {@code p *= 1 - lr wd}.
 *
 * @param lr learning rate schedule
 * @param beta1 first-moment decay in [0, 1)
 * @param beta2 second-moment decay in [0, 1)
 * @param eps added to the root of the second moment
 * @param weightDecay >= 0
 * @param decoupled AdamW rather than Adam
 */
public record Adam(Schedule lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) implements Optimizer {
    /** Checks the ranges. */
    public Adam {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) throw new IllegalArgumentException("Adam eps must be > 0, got " + eps);
        Schedule.checkRate(weightDecay);
    }

    /** Adam with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8, no weight decay). */
    public static Adam adam(double lr) { return new Adam(Schedule.constant(lr), 0.9, 0.999, 1e-8, 0, false); }

    /** AdamW with PyTorch's defaults (weight decay 0.01). */
    public static Adam adamW(double lr) { return new Adam(Schedule.constant(lr), 0.9, 0.999, 1e-8, 0.01, true); }

    /** The same with weight decay {@code wd}. */
    public Adam withWeightDecay(double wd) { return new Adam(lr, beta1, beta2, eps, wd, decoupled); }

    /** The same with betas. */
    public Adam betas(double b1, double b2) { return new Adam(lr, b1, b2, eps, weightDecay, decoupled); }

    /** The same with a schedule. */
    public Adam schedule(Schedule s) { return new Adam(s, beta1, beta2, eps, weightDecay, decoupled); }

    @Override public List<String> slots() { return List.of("exp_avg", "exp_avg_sq"); }

    @Override public Update update(List<Tensor> params, List<Tensor> grads, List<List<Tensor>> slots, Tensor done) {
        var g0 = done.graph();
        Tensor rate = lr.at(done), t = done.add(1);
        Tensor bc1 = g0.constant(1.0).sub(g0.constant(beta1).pow(t));
        Tensor bc2 = g0.constant(1.0).sub(g0.constant(beta2).pow(t)).sqrt();
        Tensor stepSize = rate.div(bc1);
        List<Tensor> np = new ArrayList<>(), nm = new ArrayList<>(), nv = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i), g = grads.get(i);
            if (weightDecay != 0 && decoupled) p = p.mul(rate.mul(-weightDecay).add(1));
            else if (weightDecay != 0) g = g.add(p.mul(weightDecay));
            Tensor m = slots.get(0).get(i).mul(beta1).add(g.mul(1 - beta1));
            Tensor v = slots.get(1).get(i).mul(beta2).add(g.square().mul(1 - beta2));
            nm.add(m);
            nv.add(v);
            np.add(p.sub(m.div(v.sqrt().div(bc2).add(eps)).mul(stepSize)));
        }
        return new Update(np, List.of(nm, nv));
    }

    @Override public String describe() {
        return (decoupled ? "AdamW" : "Adam") + "(lr=" + lr.initial() + ", betas=(" + beta1 + ", " + beta2 + ")"
                + (weightDecay != 0 ? ", weight_decay=" + weightDecay : "") + ")";
    }
}
