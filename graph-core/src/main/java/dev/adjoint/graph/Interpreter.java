package dev.adjoint.graph;

import dev.adjoint.graph.op.ArgFn;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.TakeAlongAxis;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: evaluates a graph with plain loops, floats in float64 whatever
 * their type and integers exactly (see {@link Scalar}). Deliberately simple and obviously correct
 * (every output element is computed from its definition, index by index), it is the oracle for
 * every kernel and every optimization. It is not fast.
 *
 * <p>Values are {@link NdArray}s of doubles: an i64 value beyond {@code +-2^53} is refused with
 * an error rather than rounded. An index out of range, an integer division by zero, or a fed
 * value that is not of the input's type is an {@link IllegalArgumentException} naming the node.
 */
public final class Interpreter {
    private Interpreter() {}

    /**
     * Evaluates {@code outputs}, computing only the nodes they depend on.
     *
     * @param feeds a value for every input node the outputs depend on (shapes must match)
     * @throws IllegalArgumentException naming the input if one is missing or has the wrong shape
     */
    public static List<NdArray> run(Graph graph, Map<Tensor, NdArray> feeds, List<Tensor> outputs) {
        boolean[] needed = new boolean[graph.size()];
        for (Tensor t : outputs) {
            if (t.graph() != graph) throw new IllegalArgumentException("output " + t + " belongs to another graph");
            needed[t.id()] = true;
        }
        for (var e : feeds.entrySet()) {
            if (e.getKey().graph() != graph) {
                throw new IllegalArgumentException("fed tensor " + e.getKey() + " belongs to another graph");
            }
        }
        for (int id = graph.size() - 1; id >= 0; id--) {
            if (!needed[id]) continue;
            Ints in = graph.node(id).inputs();
            for (int i = 0; i < in.size(); i++) needed[in.get(i)] = true;
        }
        NdArray[] values = new NdArray[graph.size()];
        for (int id = 0; id < graph.size(); id++) {
            if (!needed[id]) continue;
            Node node = graph.node(id);
            NdArray[] operands = new NdArray[node.inputs().size()];
            for (int i = 0; i < operands.length; i++) operands[i] = values[node.inputs().get(i)];
            values[id] = node.op() instanceof Input input ? feed(graph.tensor(id), input, node, feeds).withType(node.dtype())
                    : evaluate(node, operands);
        }
        List<NdArray> result = new ArrayList<>(outputs.size());
        for (Tensor t : outputs) result.add(values[t.id()]);
        return result;
    }

    /** Evaluates one output; see {@link #run(Graph, Map, List)}. */
    public static NdArray run(Graph graph, Map<Tensor, NdArray> feeds, Tensor output) {
        return run(graph, feeds, List.of(output)).get(0);
    }

    private static NdArray feed(Tensor t, Input input, Node node, Map<Tensor, NdArray> feeds) {
        NdArray v = feeds.get(t);
        if (v == null) {
            throw new IllegalArgumentException("input \"" + input.label() + "\" " + input.shape() + " (built at "
                    + node.where() + ") has no value; feed it");
        }
        if (!v.shape().equals(input.shape())) {
            throw new IllegalArgumentException("input \"" + input.label() + "\" was fed shape " + v.shape()
                    + " but is declared " + input.shape() + " (built at " + node.where() + ")");
        }
        for (int i = 0; i < v.data().length; i++) {
            String problem = Constant.unrepresentable(input.dtype(), v.data()[i]);
            if (problem != null) {
                throw new IllegalArgumentException("input \"" + input.label() + "\" " + input.dtype().label() + input.shape()
                        + " (built at " + node.where() + ") was fed " + v.data()[i] + " at index " + i + ", which " + problem);
            }
        }
        return v;
    }

    /**
     * Applies one op to operand values (used by constant folding).
     *
     * @param out the op's output shape, as inferred for these operands
     */
    public static NdArray evaluate(Op op, Shape out, DType type, NdArray... operands) {
        return evaluate(new Node(-1, op, Ints.of(), out, type, null), operands);
    }

    /** Applies one node's op to its operand values; errors name the node. */
    static NdArray evaluate(Node node, NdArray[] x) {
        try {
            return compute(node, x);
        } catch (ArithmeticException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(node.op().name() + ": " + e.getMessage() + " (node %" + node.id() + " built at "
                    + node.where() + ")", e);
        }
    }

    private static NdArray compute(Node node, NdArray[] x) {
        DType type = node.dtype();
        Shape out = node.shape();
        double[] y = new double[out.size()];
        switch (node.op()) {
            case Input in -> throw new IllegalStateException("inputs are fed, not evaluated");
            case Constant c -> { for (int i = 0; i < y.length; i++) y[i] = c.value(i); }
            case Iota iota -> {
                int[] idx = new int[out.rank()];
                for (int i = 0; i < y.length; i++) y[i] = unravel(i, out, idx)[iota.axis()];
            }
            case StopGradient s -> System.arraycopy(x[0].data(), 0, y, 0, y.length);
            case Unary u -> {
                double[] a = x[0].data();
                for (int i = 0; i < y.length; i++) y[i] = Scalar.unary(u.fn(), type, a[i]);
            }
            case Binary b -> {
                double[] p = x[0].data(), q = x[1].data();
                for (int i = 0; i < y.length; i++) y[i] = Scalar.binary(b.fn(), type, p[i], q[i]);
            }
            case Convert c -> {
                DType from = x[0].dtype();
                double[] a = x[0].data();
                for (int i = 0; i < y.length; i++) y[i] = Scalar.convert(a[i], from, c.to());
            }
            case Compare c -> {
                double[] p = x[0].data(), q = x[1].data();
                for (int i = 0; i < y.length; i++) y[i] = Scalar.compare(c.comparison(), p[i], q[i]) ? 1 : 0;
            }
            case Select s -> {
                double[] m = x[0].data(), a = x[1].data(), b = x[2].data();
                for (int i = 0; i < y.length; i++) y[i] = m[i] != 0 ? a[i] : b[i];
            }
            case BroadcastInDim b -> {
                Shape in = x[0].shape();
                int[] idx = new int[out.rank()], src = new int[in.rank()];
                for (int i = 0; i < y.length; i++) {
                    unravel(i, out, idx);
                    for (int a = 0; a < src.length; a++) src[a] = in.dim(a) == 1 ? 0 : idx[b.dims().get(a)];
                    y[i] = x[0].data()[ravel(src, in)];
                }
            }
            case ReduceSum r -> {
                Shape in = x[0].shape();
                int[] idx = new int[in.rank()], dst = new int[out.rank()];
                for (int i = 0; i < in.size(); i++) {
                    int o = reducedIndex(i, in, r.axes(), out, idx, dst);
                    y[o] = type.isFloat() ? y[o] + x[0].data()[i] : Scalar.binary(BinaryFn.ADD, type, y[o], x[0].data()[i]);
                }
            }
            case Reduce r -> {
                Shape in = x[0].shape();
                java.util.Arrays.fill(y, switch (r.fn()) {
                    case MAX -> type.isFloat() ? Double.NEGATIVE_INFINITY : type == DType.I32 ? Integer.MIN_VALUE : -Constant.MAX_EXACT_INTEGER;
                    case MIN -> type.isFloat() ? Double.POSITIVE_INFINITY : type == DType.I32 ? Integer.MAX_VALUE : Constant.MAX_EXACT_INTEGER;
                    case PROD -> 1.0;
                });
                int[] idx = new int[in.rank()], dst = new int[out.rank()];
                for (int i = 0; i < in.size(); i++) {
                    int o = reducedIndex(i, in, r.axes(), out, idx, dst);
                    double v = x[0].data()[i];
                    y[o] = switch (r.fn()) {
                        case MAX -> Math.max(y[o], v);
                        case MIN -> Math.min(y[o], v);
                        case PROD -> type.isFloat() ? y[o] * v : Scalar.binary(BinaryFn.MUL, type, y[o], v);
                    };
                }
            }
            case ArgReduce r -> {
                Shape in = x[0].shape();
                int n = in.dim(r.axis()), inner = 1;
                for (int a = r.axis() + 1; a < in.rank(); a++) inner *= in.dim(a);
                boolean max = r.fn() == ArgFn.ARGMAX;
                for (int o = 0; o < y.length; o++) {
                    int base = (o / inner) * n * inner + o % inner, best = 0;
                    double bestValue = x[0].data()[base];
                    for (int j = 1; j < n && !Double.isNaN(bestValue); j++) {
                        double v = x[0].data()[base + j * inner];
                        // The first extremum wins ties; a NaN is the extremum (as torch and numpy treat it).
                        if (Double.isNaN(v) || (max ? v > bestValue : v < bestValue)) {
                            best = j;
                            bestValue = v;
                        }
                    }
                    y[o] = best;
                }
            }
            case Cumsum c -> {
                Shape in = x[0].shape();
                int n = in.dim(c.axis()), inner = 1;
                for (int a = c.axis() + 1; a < in.rank(); a++) inner *= in.dim(a);
                int outer = n == 0 || inner == 0 ? 0 : y.length / (n * inner);
                for (int o = 0; o < outer; o++) {
                    for (int k = 0; k < inner; k++) {
                        double acc = 0;
                        for (int step = 0; step < n; step++) {
                            int j = c.reverse() ? n - 1 - step : step;
                            int at = (o * n + j) * inner + k;
                            acc = type.isFloat() ? acc + x[0].data()[at] : Scalar.binary(BinaryFn.ADD, type, acc, x[0].data()[at]);
                            y[at] = acc;
                        }
                    }
                }
            }
            case Gather gth -> {
                Shape in = x[0].shape(), ix = x[1].shape();
                int axis = gth.axis(), n = in.dim(axis), inner = 1, count = ix.size();
                for (int a = axis + 1; a < in.rank(); a++) inner *= in.dim(a);
                for (int o = 0; o < y.length; o++) {
                    int k = o % inner, j = (o / inner) % count, outer = o / inner / count;
                    int at = checkedIndex("gather", x[1].data(), j, axis, n);
                    y[o] = x[0].data()[(outer * n + at) * inner + k];
                }
            }
            case TakeAlongAxis t -> {
                Shape in = x[0].shape(), ix = x[1].shape();
                int[] idx = new int[ix.rank()];
                for (int o = 0; o < y.length; o++) {
                    unravel(o, ix, idx);
                    idx[t.axis()] = checkedIndex("take_along_axis", x[1].data(), o, t.axis(), in.dim(t.axis()));
                    y[o] = x[0].data()[ravel(idx, in)];
                }
            }
            case ScatterAdd sa -> {
                Shape ix = x[1].shape();
                System.arraycopy(x[0].data(), 0, y, 0, y.length);
                int[] idx = new int[ix.rank()];
                for (int p = 0; p < ix.size(); p++) {
                    unravel(p, ix, idx);
                    idx[sa.axis()] = checkedIndex("scatter_add", x[1].data(), p, sa.axis(), out.dim(sa.axis()));
                    int o = ravel(idx, out);
                    y[o] = type.isFloat() ? y[o] + x[2].data()[p] : Scalar.binary(BinaryFn.ADD, type, y[o], x[2].data()[p]);
                }
            }
            case RandomBits rb -> {
                int k0 = (int) x[0].data()[0], k1 = (int) x[0].data()[1];
                for (int i = 0; i < y.length; i++) y[i] = Threefry.randomBits(k0, k1, y.length, i);
            }
            case DotGeneral d -> dotGeneral(d, x[0], x[1], out, y);
            case Transpose t -> {
                Shape in = x[0].shape();
                int[] idx = new int[out.rank()], src = new int[in.rank()];
                for (int i = 0; i < y.length; i++) {
                    unravel(i, out, idx);
                    for (int a = 0; a < idx.length; a++) src[t.perm().get(a)] = idx[a];
                    y[i] = x[0].data()[ravel(src, in)];
                }
            }
            case Reshape r -> System.arraycopy(x[0].data(), 0, y, 0, y.length);
            case Pad p -> {
                Shape in = x[0].shape();
                int[] idx = new int[in.rank()], dst = new int[out.rank()];
                outer:
                for (int i = 0; i < in.size(); i++) {
                    unravel(i, in, idx);
                    for (int a = 0; a < idx.length; a++) {
                        dst[a] = p.lo().get(a) + idx[a] * (p.interior().get(a) + 1);
                        if (dst[a] < 0 || dst[a] >= out.dim(a)) continue outer;
                    }
                    y[ravel(dst, out)] = x[0].data()[i];
                }
            }
            case Slice s -> {
                Shape in = x[0].shape();
                int[] idx = new int[out.rank()], src = new int[in.rank()];
                for (int i = 0; i < y.length; i++) {
                    unravel(i, out, idx);
                    for (int a = 0; a < idx.length; a++) src[a] = s.start().get(a) + idx[a] * s.step().get(a);
                    y[i] = x[0].data()[ravel(src, in)];
                }
            }
            case Rev r -> {
                Shape in = x[0].shape();
                int[] idx = new int[out.rank()];
                for (int i = 0; i < y.length; i++) {
                    unravel(i, out, idx);
                    for (int a = 0; a < idx.length; a++) if (r.axes().contains(a)) idx[a] = in.dim(a) - 1 - idx[a];
                    y[i] = x[0].data()[ravel(idx, in)];
                }
            }
            case Concatenate c -> {
                int offset = 0;
                int[] idx = new int[out.rank()];
                for (NdArray part : x) {
                    for (int i = 0; i < part.shape().size(); i++) {
                        unravel(i, part.shape(), idx);
                        idx[c.axis()] += offset;
                        y[ravel(idx, out)] = part.data()[i];
                    }
                    offset += part.shape().dim(c.axis());
                }
            }
            case Conv c -> conv(c, x[0], x[1], out, y);
            case WindowMax w -> WindowEval.max(w.window(), x[0].shape(), x[0].data(), out, y);
            case WindowMaxGather w -> WindowEval.gather(w.window(), x[0].shape(), x[0].data(), x[1].data(), out, y);
            case WindowMaxScatter w -> WindowEval.scatter(w.window(), x[0].shape(), x[0].data(), x[1].shape(), x[1].data(), y);
        }
        return new NdArray(type, out, y);
    }

    /** The flat output index of input element {@code i} of a reduction over {@code axes}. */
    private static int reducedIndex(int i, Shape in, Ints axes, Shape out, int[] idx, int[] dst) {
        unravel(i, in, idx);
        for (int a = 0, j = 0; a < in.rank(); a++) if (!axes.contains(a)) dst[j++] = idx[a];
        return ravel(dst, out);
    }

    /** Index {@code indices[at]}, checked against an axis of size {@code n}. */
    private static int checkedIndex(String op, double[] indices, int at, int axis, int n) {
        double v = indices[at];
        if (v < 0 || v >= n) {
            throw new IndexOutOfBoundsException("index " + (long) v + " at position " + at + " of the indices is out of range for axis "
                    + axis + " of size " + n);
        }
        return (int) v;
    }

    private static void dotGeneral(DotGeneral d, NdArray x, NdArray w, Shape out, double[] y) {
        Shape xs = x.shape(), ws = w.shape();
        Ints lf = d.lhsFree(xs.rank()), rf = d.rhsFree(ws.rank());
        int nb = d.lhsBatch().size(), nc = d.lhsContract().size();
        int[] contractDims = new int[nc];
        for (int i = 0; i < nc; i++) contractDims[i] = xs.dim(d.lhsContract().get(i));
        Shape contract = Shape.of(contractDims);
        int[] idx = new int[out.rank()], cidx = new int[nc], xi = new int[xs.rank()], wi = new int[ws.rank()];
        for (int o = 0; o < y.length; o++) {
            unravel(o, out, idx);
            for (int i = 0; i < nb; i++) {
                xi[d.lhsBatch().get(i)] = idx[i];
                wi[d.rhsBatch().get(i)] = idx[i];
            }
            for (int i = 0; i < lf.size(); i++) xi[lf.get(i)] = idx[nb + i];
            for (int i = 0; i < rf.size(); i++) wi[rf.get(i)] = idx[nb + lf.size() + i];
            double acc = 0;
            for (int c = 0; c < contract.size(); c++) {
                unravel(c, contract, cidx);
                for (int i = 0; i < nc; i++) {
                    xi[d.lhsContract().get(i)] = cidx[i];
                    wi[d.rhsContract().get(i)] = cidx[i];
                }
                acc += x.data()[ravel(xi, xs)] * w.data()[ravel(wi, ws)];
            }
            y[o] = acc;
        }
    }

    /** The conv primitive by its definition, one output element at a time. */
    private static void conv(Conv c, NdArray x, NdArray k, Shape out, double[] y) {
        Shape xs = x.shape(), ks = k.shape();
        int r = c.spatialRank();
        int cin = xs.dim(r + 1), cout = ks.dim(r + 1), g = c.groups();
        int cinG = cin / g, coutG = cout / g;
        int[] taps = new int[r];
        for (int a = 0; a < r; a++) taps[a] = ks.dim(a);
        Shape tapShape = Shape.of(taps);
        int[] idx = new int[out.rank()], t = new int[r], xi = new int[xs.rank()], ki = new int[ks.rank()];
        for (int o = 0; o < y.length; o++) {
            unravel(o, out, idx);
            int oc = idx[r + 1], group = oc / coutG;
            double acc = 0;
            taps:
            for (int ti = 0; ti < tapShape.size(); ti++) {
                unravel(ti, tapShape, t);
                xi[0] = idx[0];
                for (int a = 0; a < r; a++) {
                    // Position in the lhs-dilated, unpadded input.
                    long p = (long) idx[a + 1] * c.strides().get(a) + (long) t[a] * c.rhsDilation().get(a) - c.padLo().get(a);
                    int dil = c.lhsDilation().get(a);
                    if (p < 0 || p % dil != 0 || p / dil >= xs.dim(a + 1)) continue taps;
                    xi[a + 1] = (int) (p / dil);
                    ki[a] = t[a];
                }
                for (int ci = 0; ci < cinG; ci++) {
                    xi[r + 1] = group * cinG + ci;
                    ki[r] = ci;
                    ki[r + 1] = oc;
                    acc += x.data()[ravel(xi, xs)] * k.data()[ravel(ki, ks)];
                }
            }
            y[o] = acc;
        }
    }

    /** The multi-index of row-major flat index {@code flat} in {@code shape}, written into {@code idx}. */
    static int[] unravel(int flat, Shape shape, int[] idx) {
        for (int a = shape.rank() - 1; a >= 0; a--) {
            int d = shape.dim(a);
            idx[a] = flat % d;
            flat /= d;
        }
        return idx;
    }

    /** The row-major flat index of multi-index {@code idx} in {@code shape}. */
    static int ravel(int[] idx, Shape shape) {
        int flat = 0;
        for (int a = 0; a < shape.rank(); a++) flat = flat * shape.dim(a) + idx[a];
        return flat;
    }
}
