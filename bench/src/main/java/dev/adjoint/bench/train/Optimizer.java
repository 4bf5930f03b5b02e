package dev.adjoint.bench.train;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A parameter update built as graph nodes, so that it is compiled into the training step with the
 * forward pass and the gradients. Each optimizer keeps per-parameter state (velocities, moments)
 * as extra graph inputs whose updated values are extra outputs.
 */
public sealed interface Optimizer {
    /**
     * The nodes of one update.
     *
     * @param state graph inputs holding the optimizer's state, in order (zeros at the start)
     * @param newParams updated parameters, one per parameter
     * @param newState updated state, one per {@code state} entry
     * @param scalars scalar graph inputs fed each step ({@link #scalars(long)} gives their values)
     */
    record Update(List<Tensor> state, List<Tensor> newParams, List<Tensor> newState, List<Tensor> scalars) {}

    /** One line, e.g. {@code "SGD lr 0.05 momentum 0.9"}. */
    String describe();

    /** Builds the update of {@code params} given their gradients. */
    Update build(Graph g, List<Tensor> params, List<Tensor> grads);

    /** Values of {@link Update#scalars} for step {@code t} (counted from 1). */
    float[] scalars(long t);

    /**
     * SGD with heavy-ball momentum: {@code v = momentum v + g; p = p - lr v}.
     *
     * @param learningRate step size
     * @param momentum in [0, 1)
     */
    record Sgd(float learningRate, float momentum) implements Optimizer {
        @Override public String describe() { return "SGD lr " + learningRate + " momentum " + momentum; }

        @Override public Update build(Graph g, List<Tensor> params, List<Tensor> grads) {
            List<Tensor> state = new ArrayList<>(), newParams = new ArrayList<>(), newState = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor v = g.input("v_" + label(p), p.shape());
                Tensor v1 = v.mul(momentum).add(grads.get(i));
                state.add(v);
                newState.add(v1);
                newParams.add(p.sub(v1.mul(learningRate)));
            }
            return new Update(state, newParams, newState, List.of());
        }

        @Override public float[] scalars(long t) { return new float[0]; }
    }

    /**
     * Adam (Kingma and Ba): {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * p = p - lr_t m / (sqrt(v) + eps)} with the bias-corrected step
     * {@code lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)} fed as a scalar input each step.
     *
     * @param learningRate step size
     * @param beta1 first-moment decay in [0, 1)
     * @param beta2 second-moment decay in [0, 1)
     * @param epsilon added to the root of the second moment
     */
    record Adam(float learningRate, float beta1, float beta2, float epsilon) implements Optimizer {
        @Override public String describe() { return "Adam lr " + learningRate + " betas " + beta1 + ", " + beta2; }

        @Override public Update build(Graph g, List<Tensor> params, List<Tensor> grads) {
            Tensor lrT = g.input("adam_lr_t");
            List<Tensor> state = new ArrayList<>(), newParams = new ArrayList<>(), newState = new ArrayList<>();
            List<Tensor> newV = new ArrayList<>(), vs = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i), grad = grads.get(i);
                Tensor m = g.input("m_" + label(p), p.shape()), v = g.input("s_" + label(p), p.shape());
                Tensor m1 = m.mul(beta1).add(grad.mul(1 - beta1));
                Tensor v1 = v.mul(beta2).add(grad.square().mul(1 - beta2));
                state.add(m);
                vs.add(v);
                newState.add(m1);
                newV.add(v1);
                newParams.add(p.sub(m1.div(v1.sqrt().add(epsilon)).mul(lrT)));
            }
            state.addAll(vs);
            newState.addAll(newV);
            return new Update(state, newParams, newState, List.of(lrT));
        }

        @Override public float[] scalars(long t) {
            double c = Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
            return new float[] {(float) (learningRate * c)};
        }
    }

    private static String label(Tensor p) { return ((dev.adjoint.graph.op.Input) p.op()).label(); }
}
