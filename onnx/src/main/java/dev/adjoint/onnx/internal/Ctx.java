package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.onnx.OnnxException;
import java.util.List;

/**
 * What an op mapper sees of one node: its inputs as tensors of the graph being built (the model's,
 * or a scratch graph when the node is folded at import time), its attributes, and the node's
 * identity for errors.
 */
final class Ctx {
    final Graph g;
    final NodeInfo node;
    final Attrs attrs;
    final int outputCount;
    private final List<Tensor> inputs;
    private final List<String> names;

    Ctx(Graph g, NodeInfo node, Attrs attrs, List<Tensor> inputs, List<String> names, int outputCount) {
        this.names = names;
        this.g = g;
        this.node = node;
        this.attrs = attrs;
        this.inputs = inputs;
        this.outputCount = outputCount;
    }

    long opset() { return node.opset(); }

    int inputCount() { return inputs.size(); }

    /** Whether optional input {@code i} is given. */
    boolean has(int i) { return i < inputs.size() && inputs.get(i) != null; }

    /** Input {@code i}; a missing required input is an error. */
    Tensor in(int i) {
        if (!has(i)) throw node.unsupported("input " + i + " is missing", "input " + i);
        return inputs.get(i);
    }

    /** Input {@code i} when given, else null. */
    Tensor opt(int i) { return has(i) ? inputs.get(i) : null; }

    /** The values of input {@code i}, which must be known at import time (a constant or a folded shape computation). */
    NdArray constant(int i, String what) {
        Tensor t = in(i);
        if (t.op() instanceof Constant c) return new NdArray(c.dtype(), c.shape(), c.values());
        throw new OnnxException("onnx: " + node.describe() + ": input " + i + " ('" + names.get(i) + "', " + what
                + ") must be known at import time (a constant or computed from static shapes); here it depends on the model's inputs"
                + " (LoadOptions.withInputValue fixes an input)", node.opType() + " with a run-time " + what, names.get(i));
    }

    /** Input {@code i}'s values as longs (see {@link #constant}). */
    long[] longs(int i, String what) {
        double[] v = constant(i, what).data();
        long[] out = new long[v.length];
        for (int k = 0; k < v.length; k++) out[k] = (long) v[k];
        return out;
    }

    OnnxException unsupported(String what, String missing) { return node.unsupported(what, missing); }

    /** A normalised axis of a tensor of rank {@code rank}; out of range is an error naming the attribute. */
    int axis(long a, int rank, String attr) {
        long n = a < 0 ? a + rank : a;
        if (n < 0 || n >= rank) throw node.unsupported("attribute " + attr + " = " + a + " is out of range for rank " + rank, "valid " + attr);
        return (int) n;
    }

    /** An element-type check: {@code t}'s type must be one of {@code allowed}. */
    void requireType(Tensor t, String what, DType... allowed) {
        for (DType d : allowed) if (t.dtype() == d) return;
        throw node.unsupported(what + " has element type " + t.dtype() + ", not supported here", node.opType() + " on " + t.dtype());
    }

    Tensor scalar(double v, DType d) { return g.constant(v, d); }
}
