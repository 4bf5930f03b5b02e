package dev.adjoint.autodiff;

import dev.adjoint.autodiff.LinearProgram.Lin;
import dev.adjoint.graph.CallSite;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Forward and reverse mode as graph-to-graph transformations: every method appends derivative
 * nodes to the graph its arguments belong to and returns handles on them. Derivatives are ordinary
 * nodes, so every method applies to its own results (gradients of gradients, Hessians).
 *
 * <p>Both modes first <em>linearize</em> the region of the graph between the differentiated tensors
 * and the outputs (every node that depends on one and that one depends on) into an in-memory
 * linear program ({@link JvpRules}); forward mode then emits that program into the graph, reverse
 * mode emits its transpose ({@link TransposeRules}). A tensor in {@code inputs}/{@code wrt} is a
 * leaf: derivatives do not flow through it from tensors it depends on.
 */
public final class Autodiff {
    private Autodiff() {}

    /**
     * Forward mode: the directional derivatives of {@code outputs} along {@code tangents} (one per
     * input, same shape; a tensor of the same graph), i.e. {@code sum_k J_k t_k} per output.
     */
    public static List<Tensor> jvp(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> tangents) {
        Graph g = graphOf(outputs, inputs);
        if (tangents.size() != inputs.size()) {
            throw new IllegalArgumentException("jvp: " + tangents.size() + " tangents for " + inputs.size() + " inputs");
        }
        for (int i = 0; i < inputs.size(); i++) {
            Tensor t = Objects.requireNonNull(tangents.get(i), "jvp: tangent " + i);
            requireSameGraph(g, t, "tangent " + i);
            if (!t.shape().equals(inputs.get(i).shape())) {
                throw new IllegalArgumentException("jvp: tangent " + i + " has shape " + t.shape() + " but input "
                        + inputs.get(i) + " has shape " + inputs.get(i).shape());
            }
            for (int j = 0; j < i; j++) {
                if (inputs.get(j).equals(inputs.get(i))) {
                    throw new IllegalArgumentException("jvp: input " + inputs.get(i) + " is listed twice");
                }
            }
        }
        return g.withSite(CallSite.capture(), () -> {
            Linearization lin = linearize(g, inputs, outputs);
            Tensor[] out = lin.program.forward(lin.seeds, tangents.toArray(new Tensor[0]), lin.outputs);
            return orZeros(g, out, outputs);
        });
    }

    /** Forward mode for one output and one input; see {@link #jvp(List, List, List)}. */
    public static Tensor jvp(Tensor output, Tensor input, Tensor tangent) {
        return jvp(List.of(output), List.of(input), List.of(tangent)).get(0);
    }

    /**
     * Reverse mode: the cotangent of each of {@code wrt}, given {@code cotangents} (one per output,
     * same shape), i.e. {@code sum_j ct_j^T J_j} per wrt tensor. A wrt tensor the outputs do not
     * depend on gets zeros.
     */
    public static List<Tensor> vjp(List<Tensor> outputs, List<Tensor> cotangents, List<Tensor> wrt) {
        Graph g = graphOf(outputs, wrt);
        if (cotangents.size() != outputs.size()) {
            throw new IllegalArgumentException("vjp: " + cotangents.size() + " cotangents for " + outputs.size() + " outputs");
        }
        for (int i = 0; i < outputs.size(); i++) {
            Tensor c = cotangents.get(i);
            if (c == null) continue;
            requireSameGraph(g, c, "cotangent " + i);
            if (!c.shape().equals(outputs.get(i).shape())) {
                throw new IllegalArgumentException("vjp: cotangent " + i + " has shape " + c.shape() + " but output "
                        + outputs.get(i) + " has shape " + outputs.get(i).shape());
            }
        }
        return g.withSite(CallSite.capture(), () -> {
            Linearization lin = linearize(g, wrt, outputs);
            Tensor[] out = lin.program.transpose(lin.outputs, cotangents.toArray(new Tensor[0]), lin.seeds);
            return orZeros(g, out, wrt);
        });
    }

    /** The gradient of a scalar {@code loss} with respect to each of {@code wrt}. */
    public static List<Tensor> grad(Tensor loss, List<Tensor> wrt) {
        if (loss.shape().size() != 1) {
            throw new IllegalArgumentException("grad: the loss must have one element, got shape " + loss.shape()
                    + "; reduce it (e.g. sum or mean) or use vjp with a cotangent");
        }
        Graph g = loss.graph();
        return g.withSite(CallSite.capture(), () -> vjp(List.of(loss), List.of(ones(g, loss)), wrt));
    }

    /** The gradient of a scalar {@code loss} with respect to each of {@code wrt}. */
    public static List<Tensor> grad(Tensor loss, Tensor... wrt) { return grad(loss, Arrays.asList(wrt)); }

    /** The gradient of a scalar {@code loss} with respect to one tensor. */
    public static Tensor grad(Tensor loss, Tensor wrt) { return grad(loss, List.of(wrt)).get(0); }

    /**
     * Hessian-vector products by forward-over-reverse: the JVP of the gradient of a scalar
     * {@code loss} with respect to {@code wrt}, along {@code v} (one tensor per wrt tensor):
     * {@code H v} for each wrt block, without forming {@code H}.
     */
    public static List<Tensor> hvp(Tensor loss, List<Tensor> wrt, List<Tensor> v) {
        Graph g = loss.graph();
        return g.withSite(CallSite.capture(), () -> jvp(grad(loss, wrt), wrt, v));
    }

    /**
     * The Jacobian of {@code y} with respect to {@code x} by reverse mode (one VJP per element of
     * {@code y}, sharing one linearization), of shape {@code y.shape ++ x.shape}. Suits small
     * {@code y}.
     */
    public static Tensor jacobian(Tensor y, Tensor x) {
        Graph g = graphOf(List.of(y), List.of(x));
        return g.withSite(CallSite.capture(), () -> {
            Linearization lin = linearize(g, List.of(x), List.of(y));
            int m = y.shape().size(), n = x.shape().size();
            Shape full = Shape.of(concat(y.shape().dims(), x.shape().dims()));
            if (m == 0 || n == 0 || lin.outputs[0] == null) return JvpRules.zeros(g, full, y.dtype());
            Tensor[] rows = new Tensor[m];
            for (int j = 0; j < m; j++) {
                Tensor ct = g.constant(y.dtype(), y.shape(), oneHot(m, j));
                Tensor r = lin.program.transpose(lin.outputs, new Tensor[] {ct}, lin.seeds)[0];
                rows[j] = (r == null ? JvpRules.zeros(g, x.shape(), x.dtype()) : r).reshape(1, n);
            }
            return Tensor.concatenate(0, rows).reshape(full.dims());
        });
    }

    /**
     * The Jacobian of {@code y} with respect to {@code x} by forward mode (one JVP per element of
     * {@code x}, sharing one linearization), of shape {@code y.shape ++ x.shape}. Suits small
     * {@code x}.
     */
    public static Tensor jacobianForward(Tensor y, Tensor x) {
        Graph g = graphOf(List.of(y), List.of(x));
        return g.withSite(CallSite.capture(), () -> {
            Linearization lin = linearize(g, List.of(x), List.of(y));
            int m = y.shape().size(), n = x.shape().size();
            Shape full = Shape.of(concat(y.shape().dims(), x.shape().dims()));
            if (m == 0 || n == 0 || lin.outputs[0] == null) return JvpRules.zeros(g, full, y.dtype());
            Tensor[] cols = new Tensor[n];
            for (int i = 0; i < n; i++) {
                Tensor t = g.constant(x.dtype(), x.shape(), oneHot(n, i));
                Tensor c = lin.program.forward(lin.seeds, new Tensor[] {t}, lin.outputs)[0];
                cols[i] = (c == null ? JvpRules.zeros(g, y.shape(), y.dtype()) : c).reshape(1, m);
            }
            // [n, m] -> [m, n] -> y.shape ++ x.shape
            return Tensor.concatenate(0, cols).transpose(1, 0).reshape(full.dims());
        });
    }

    /**
     * The Hessian of a scalar {@code loss} with respect to {@code x}, of shape
     * {@code x.shape ++ x.shape}: forward mode over the reverse-mode gradient. Suits small x.
     */
    public static Tensor hessian(Tensor loss, Tensor x) {
        Graph g = loss.graph();
        return g.withSite(CallSite.capture(), () -> jacobianForward(grad(loss, x), x));
    }

    // ---- linearization ----

    /** The linear program of a region, with the variables of its seeds and outputs. */
    record Linearization(LinearProgram program, Lin[] seeds, Lin[] outputs) {}

    /**
     * Linearizes the nodes that depend on one of {@code wrt} and that one of {@code outputs}
     * depends on, in graph (topological) order. Nothing outside that region is visited twice or
     * recorded; no graph node is added except the primal coefficients some JVP rules need.
     */
    static Linearization linearize(Graph g, List<Tensor> wrt, List<Tensor> outputs) {
        LinearProgram lp = new LinearProgram(g);
        Lin[] seeds = new Lin[wrt.size()];
        Lin[] outs = new Lin[outputs.size()];
        if (wrt.isEmpty() || outputs.isEmpty()) return new Linearization(lp, seeds, outs);
        int lo = Integer.MAX_VALUE, hi = -1;
        for (Tensor w : wrt) lo = Math.min(lo, w.id());
        for (Tensor o : outputs) hi = Math.max(hi, o.id());
        if (hi < lo) return new Linearization(lp, seeds, outs);
        int span = hi - lo + 1;
        Lin[] tangent = new Lin[span];
        for (int i = 0; i < seeds.length; i++) {
            int k = wrt.get(i).id() - lo;
            // Integer and bool values have no tangent (a symbolic zero), so they get no seed.
            if (k < span && tangent[k] == null && wrt.get(i).dtype().isFloat()) tangent[k] = lp.seed(wrt.get(i).shape(), wrt.get(i).dtype());
            seeds[i] = k < span ? tangent[k] : null;
        }
        // Backward sweep: which nodes in [lo, hi] some output depends on.
        boolean[] needed = new boolean[span];
        for (Tensor o : outputs) if (o.id() >= lo) needed[o.id() - lo] = true;
        for (int k = span - 1; k >= 0; k--) {
            if (!needed[k] || tangent[k] != null) continue; // a seed is a leaf
            Ints in = g.node(lo + k).inputs();
            for (int i = 0; i < in.size(); i++) if (in.get(i) >= lo) needed[in.get(i) - lo] = true;
        }
        // Forward sweep: apply the JVP rule of every needed node with a non-zero operand tangent.
        for (int k = 0; k < span; k++) {
            if (!needed[k] || tangent[k] != null) continue;
            Node node = g.node(lo + k);
            if (!node.dtype().isFloat()) continue; // integers and bools have no tangent
            Ints in = node.inputs();
            Lin[] t = new Lin[in.size()];
            boolean any = false;
            for (int i = 0; i < t.length; i++) {
                int id = in.get(i);
                t[i] = id >= lo ? tangent[id - lo] : null;
                any |= t[i] != null;
            }
            if (!any) continue;
            Tensor[] x = new Tensor[t.length];
            for (int i = 0; i < x.length; i++) x[i] = g.tensor(in.get(i));
            tangent[k] = JvpRules.jvp(node, x, g.tensor(lo + k), t, lp);
        }
        for (int j = 0; j < outs.length; j++) {
            int k = outputs.get(j).id() - lo;
            outs[j] = k >= 0 ? tangent[k] : null;
        }
        return new Linearization(lp, seeds, outs);
    }

    // ---- helpers ----

    private static Graph graphOf(List<Tensor> a, List<Tensor> b) {
        Graph g = null;
        for (Tensor t : a) g = same(g, t);
        for (Tensor t : b) g = same(g, t);
        if (g == null) throw new IllegalArgumentException("autodiff: no tensors given");
        return g;
    }

    private static Graph same(Graph g, Tensor t) {
        Objects.requireNonNull(t, "autodiff: a tensor is null");
        if (g != null && t.graph() != g) throw new IllegalArgumentException("autodiff: " + t + " belongs to another graph");
        return t.graph();
    }

    private static void requireSameGraph(Graph g, Tensor t, String what) {
        if (t.graph() != g) throw new IllegalArgumentException("autodiff: " + what + " belongs to another graph");
    }

    /** The user-facing results: a symbolic zero becomes materialized zeros (a broadcast scalar). */
    private static List<Tensor> orZeros(Graph g, Tensor[] values, List<Tensor> like) {
        List<Tensor> out = new ArrayList<>(values.length);
        for (int i = 0; i < values.length; i++) {
            out.add(values[i] != null ? values[i] : JvpRules.zeros(g, like.get(i).shape(), like.get(i).dtype()));
        }
        return out;
    }

    private static Tensor ones(Graph g, Tensor like) { return g.constant(1.0, like.dtype()).broadcastTo(like.shape()); }

    private static double[] oneHot(int n, int i) {
        double[] v = new double[n];
        v[i] = 1.0;
        return v;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
