package dev.adjoint.train;

import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A one-layer LSTM or GRU over a sequence, PyTorch's {@code nn.LSTM(in, hidden, batch_first=True)}
 * and {@code nn.GRU}: {@code x [B, T, in]} to the hidden states {@code [B, T, hidden]}, starting from
 * zeros. The variables have PyTorch's names and layouts ({@code weight_ih_l0 [G*hidden, in]},
 * {@code weight_hh_l0 [G*hidden, hidden]}, {@code bias_ih_l0}, {@code bias_hh_l0}; G = 4 gates
 * i, f, g, o for the LSTM, 3 gates r, z, n for the GRU) and initialisation (uniform in
 * +-1/sqrt(hidden)). The sequence is unrolled in the graph, one cell per step, so the gradient is
 * back-propagation through time by the primitives' rules.
 *
 * @param gru a GRU rather than an LSTM
 * @param in input features
 * @param hidden hidden size
 */
public record Recurrent(boolean gru, int in, int hidden) implements Layer {
    /** Checks the sizes. */
    public Recurrent {
        if (in < 1 || hidden < 1) throw new IllegalArgumentException((gru ? "GRU" : "LSTM") + " needs in, hidden >= 1, got " + in + ", " + hidden);
    }

    /** {@code nn.LSTM(in, hidden, batch_first=True)}. */
    public static Recurrent lstm(int in, int hidden) { return new Recurrent(false, in, hidden); }

    /** {@code nn.GRU(in, hidden, batch_first=True)}. */
    public static Recurrent gru(int in, int hidden) { return new Recurrent(true, in, hidden); }

    private int gates() { return gru ? 3 : 4; }

    @Override public List<ParamSpec> variables() {
        double b = 1 / Math.sqrt(hidden);
        Init u = Init.uniform(-b, b);
        int g = gates() * hidden;
        return List.of(ParamSpec.param("weight_ih_l0", Shape.of(g, in), u, in, g), ParamSpec.param("weight_hh_l0", Shape.of(g, hidden), u, hidden, g),
                ParamSpec.param("bias_ih_l0", Shape.of(g), u, in, g), ParamSpec.param("bias_hh_l0", Shape.of(g), u, hidden, g));
    }

    /** One gate's slice {@code [.., k*hidden, (k+1)*hidden)} of the last axis of {@code y [B, G*hidden]}. */
    private Tensor gate(Tensor y, int k) {
        return y.slice(new int[] {0, k * hidden}, new int[] {y.dim(0), (k + 1) * hidden});
    }

    /**
     * One LSTM step: gates {@code x W_ih^T + b_ih + h W_hh^T + b_hh} split as i, f, g, o;
     * {@code c' = sigmoid(f) c + sigmoid(i) tanh(g)}, {@code h' = sigmoid(o) tanh(c')}.
     *
     * @return {@code [h', c']}
     */
    public List<Tensor> lstmCell(Vars v, Tensor x, Tensor h, Tensor c) {
        Tensor y = x.matmul(v.get("weight_ih_l0").mT()).add(v.get("bias_ih_l0")).add(h.matmul(v.get("weight_hh_l0").mT()))
                .add(v.get("bias_hh_l0"));
        Tensor c1 = gate(y, 1).sigmoid().mul(c).add(gate(y, 0).sigmoid().mul(gate(y, 2).tanh()));
        return List.of(gate(y, 3).sigmoid().mul(c1.tanh()), c1);
    }

    /**
     * One GRU step (PyTorch's): {@code r = sigmoid(x_r + h_r)}, {@code z = sigmoid(x_z + h_z)},
     * {@code n = tanh(x_n + r * h_n)}, {@code h' = (1 - z) n + z h}, with {@code x_* = x W_i*^T + b_i*}
     * and {@code h_* = h W_h*^T + b_h*}.
     */
    public Tensor gruCell(Vars v, Tensor x, Tensor h) {
        Tensor xi = x.matmul(v.get("weight_ih_l0").mT()).add(v.get("bias_ih_l0"));
        Tensor hh = h.matmul(v.get("weight_hh_l0").mT()).add(v.get("bias_hh_l0"));
        Tensor r = gate(xi, 0).add(gate(hh, 0)).sigmoid(), z = gate(xi, 1).add(gate(hh, 1)).sigmoid();
        Tensor n = gate(xi, 2).add(r.mul(gate(hh, 2))).tanh();
        return z.neg().add(1).mul(n).add(z.mul(h));
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        if (x.rank() != 3 || x.dim(2) != in) throw new IllegalArgumentException(describe() + ": needs x [B, T, " + in + "]; x: " + x.shape());
        int b = x.dim(0), t = x.dim(1);
        Tensor h = x.graph().fill(0.0, b, hidden), c = h;
        List<Tensor> outs = new ArrayList<>();
        for (int s = 0; s < t; s++) {
            Tensor xs = x.slice(new int[] {0, s, 0}, new int[] {b, s + 1, in}).reshape(b, in);
            if (gru) {
                h = gruCell(v, xs, h);
            } else {
                List<Tensor> hc = lstmCell(v, xs, h, c);
                h = hc.get(0);
                c = hc.get(1);
            }
            outs.add(h.reshape(b, 1, hidden));
        }
        return Tensor.concatenate(1, outs.toArray(new Tensor[0]));
    }

    @Override public String describe() { return (gru ? "GRU(" : "LSTM(") + in + ", " + hidden + ")"; }
}
