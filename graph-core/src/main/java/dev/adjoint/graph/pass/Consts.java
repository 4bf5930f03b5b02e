package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.RandomBits;
import java.util.Map;

/** Values of input-free subgraphs, and per-channel constants, for the folding rules. */
final class Consts {
    private Consts() {}

    /** Largest value (in elements) evaluated at optimization time. */
    static final int EVAL_LIMIT = 1 << 22;

    /**
     * A value that varies along at most one axis.
     *
     * @param axis the axis it varies along, or -1 if it is one value throughout
     * @param values one value per index along {@code axis} (one value if -1)
     */
    record Channel(int axis, double[] values) {
        double at(int c) { return axis < 0 ? values[0] : values[c]; }
    }

    /** The value of {@code t} if it depends on no input (and is small enough to evaluate), else null. */
    static NdArray value(Tensor t) {
        if (t.shape().size() > EVAL_LIMIT) return null;
        Graph g = t.graph();
        boolean[] needed = Rebuild.needed(g, java.util.List.of(t));
        for (Node n : g.nodes()) {
            if (!needed[n.id()]) continue;
            if (n.op() instanceof Input || n.op() instanceof RandomBits) return null;
            if (n.shape().size() > EVAL_LIMIT) return null;
        }
        if (t.op() instanceof Constant c) return new NdArray(c.dtype(), c.shape(), c.values());
        return Interpreter.run(g, Map.of(), t);
    }

    /** {@code t} as a per-channel constant (see {@link Channel}), or null. */
    static Channel channel(Tensor t) {
        if (!t.dtype().isFloat()) return null;
        NdArray v = value(t);
        if (v == null) return null;
        double[] d = v.data();
        Shape s = t.shape();
        if (d.length == 0) return null;
        boolean uniform = true;
        for (double x : d) if (Double.compare(x, d[0]) != 0) uniform = false;
        if (uniform) return new Channel(-1, new double[] {d[0]});
        for (int axis = 0; axis < s.rank(); axis++) {
            int n = s.dim(axis);
            if (n == 1) continue;
            int inner = 1;
            for (int a = axis + 1; a < s.rank(); a++) inner *= s.dim(a);
            double[] per = new double[n];
            for (int c = 0; c < n; c++) per[c] = d[c * inner];
            boolean ok = true;
            for (int i = 0; i < d.length && ok; i++) ok = Double.compare(d[i], per[(i / inner) % n]) == 0;
            if (ok) return new Channel(axis, per);
        }
        return null;
    }

    /** A per-channel constant of {@code shape} in {@code g}: a small constant broadcast along {@code axis}. */
    static Tensor build(Graph g, Shape shape, dev.adjoint.graph.DType type, int axis, double[] values) {
        if (axis < 0) return g.constant(values[0], type).broadcastTo(shape);
        return g.constant(type, Shape.of(values.length), values).broadcastInDim(shape, axis);
    }

}
