package dev.adjoint.train;

import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * SGD as PyTorch's {@code torch.optim.SGD} (dampening 0): {@code g += wd p};
 * {@code buf = momentum buf + g} (the zero start makes the first buffer {@code g}, as PyTorch);
 * {@code g = nesterov ? g + momentum buf : buf}; {@code p -= lr g}.
 *
 * @param lr learning rate schedule
 * @param momentum in [0, 1)
 * @param nesterov Nesterov momentum
 * @param weightDecay L2 penalty, >= 0
 */
public record Sgd(Schedule lr, double momentum, boolean nesterov, double weightDecay) implements Optimizer {
    /** Checks the ranges. */
    public Sgd {
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
        Schedule.checkRate(weightDecay);
        if (nesterov && momentum == 0) throw new IllegalArgumentException("Nesterov momentum needs momentum > 0");
    }

    /** Plain SGD with rate {@code lr}. */
    public static Sgd of(double lr) { return new Sgd(Schedule.constant(lr), 0, false, 0); }

    /** SGD with heavy-ball momentum. */
    public static Sgd of(double lr, double momentum) { return new Sgd(Schedule.constant(lr), momentum, false, 0); }

    /** The same with Nesterov momentum. */
    public Sgd withNesterov() { return new Sgd(lr, momentum, true, weightDecay); }

    /** The same with weight decay {@code wd}. */
    public Sgd withWeightDecay(double wd) { return new Sgd(lr, momentum, nesterov, wd); }

    /** The same with a schedule. */
    public Sgd schedule(Schedule s) { return new Sgd(s, momentum, nesterov, weightDecay); }

    @Override public List<String> slots() { return momentum == 0 ? List.of() : List.of("momentum_buffer"); }

    @Override public Update update(List<Tensor> params, List<Tensor> grads, List<List<Tensor>> slots, Tensor done) {
        Tensor rate = lr.at(done);
        List<Tensor> np = new ArrayList<>(), nb = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i), g = grads.get(i);
            if (weightDecay != 0) g = g.add(p.mul(weightDecay));
            if (momentum != 0) {
                Tensor buf = slots.get(0).get(i).mul(momentum).add(g);
                nb.add(buf);
                g = nesterov ? g.add(buf.mul(momentum)) : buf;
            }
            np.add(p.sub(g.mul(rate)));
        }
        return new Update(np, momentum == 0 ? List.of() : List.of(nb));
    }

    @Override public String describe() {
        return "SGD(lr=" + lr.initial() + (momentum != 0 ? ", momentum=" + momentum : "") + (nesterov ? ", nesterov" : "")
                + (weightDecay != 0 ? ", weight_decay=" + weightDecay : "") + ")";
    }
}
