package dev.adjoint.graph.pass;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.DotGeneral;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The graph optimizer: rebuilds the part of a graph that given outputs need, in one pass in
 * topological order, applying at each node
 * <ol>
 *   <li>the rules of {@link AlgebraicRules}: algebraic identities that are exact in IEEE arithmetic ({@code x*1}, {@code x/1},
 *       {@code x-0}, {@code --x}, identity reshapes, transposes, broadcasts, slices, pads,
 *       reductions over no axes, reshape of reshape, transpose of transpose; {@code x+0} is
 *       dropped too, which differs only in the sign of a zero);</li>
 *   <li>transpose folding: a transpose feeding {@code dot_general} becomes part of its axis
 *       attributes when that keeps the output axis order, so NCHW-style layout shuffles and
 *       {@code x @ w.T} cost no copy;</li>
 *   <li>constant folding of small all-constant subgraphs (up to {@value #FOLD_LIMIT} elements;
 *       broadcasts of constants are kept, so a scalar fill is never materialized);</li>
 *   <li>common-subexpression elimination (op records compare by value);</li>
 *   <li>dead-code elimination, implicitly: only what the outputs need is rebuilt.</li>
 * </ol>
 * {@code stop_gradient} becomes the identity, so optimize after differentiating. Every rewrite
 * keeps the value of every output; the tests check "optimized == original" on random graphs.
 */
public final class Optimizer {
    /** Largest constant (in elements) that folding may create. */
    public static final int FOLD_LIMIT = 4096;

    private Optimizer() {}

    /** Optimizes the graph that {@code outputs} belong to; see the class description. */
    public static Rewritten optimize(List<Tensor> outputs) {
        Rewritten once = rebuild(outputs, true);
        // Folding and identities can leave nodes nobody reads; a second, plain copy drops them.
        Rewritten clean = rebuild(once.outputs(), false);
        Map<Tensor, Tensor> inputs = new LinkedHashMap<>();
        once.inputs().forEach((original, mid) -> {
            Tensor end = clean.inputs().get(mid);
            if (end != null) inputs.put(original, end);
        });
        return new Rewritten(clean.graph(), clean.outputs(), Map.copyOf(inputs));
    }

    /** Only dead-code elimination: copies the nodes {@code outputs} need, unchanged. */
    public static Rewritten eliminateDeadCode(List<Tensor> outputs) { return rebuild(outputs, false); }

    private record Key(Op op, Ints inputs) {}

    private static Rewritten rebuild(List<Tensor> outputs, boolean optimize) {
        if (outputs.isEmpty()) throw new IllegalArgumentException("optimize: no outputs given");
        Graph src = outputs.get(0).graph();
        boolean[] needed = Rebuild.needed(src, outputs);
        Graph dst = new Graph();
        Tensor[] map = new Tensor[src.size()];
        Map<Key, Tensor> seen = new HashMap<>();
        Map<Tensor, Tensor> inputs = new LinkedHashMap<>();
        for (int id = 0; id < src.size(); id++) {
            if (!needed[id]) continue;
            Node node = src.node(id);
            Tensor[] ins = new Tensor[node.inputs().size()];
            for (int i = 0; i < ins.length; i++) ins[i] = map[node.inputs().get(i)];
            Tensor out = dst.withSite(node.site(), () -> optimize ? emit(dst, node.op(), ins, seen) : dst.add(node.op(), ins));
            map[id] = out;
            if (node.op() instanceof Input) inputs.put(src.tensor(id), out);
        }
        List<Tensor> outs = new ArrayList<>();
        for (Tensor t : outputs) outs.add(map[t.id()]);
        return new Rewritten(dst, List.copyOf(outs), Map.copyOf(inputs));
    }

    private static Tensor emit(Graph g, Op op, Tensor[] in, Map<Key, Tensor> seen) {
        Tensor simpler = simplify(g, op, in);
        if (simpler != null) return simpler;
        if (op instanceof DotGeneral d) {
            Tensor folded = foldTransposes(g, d, in[0], in[1], seen);
            if (folded != null) return folded;
        }
        if (in.length > 0 && !(op instanceof BroadcastInDim) && allConstant(in)) {
            Shape shape = op.infer(shapes(in));
            if (shape.size() <= FOLD_LIMIT) {
                NdArray[] values = new NdArray[in.length];
                List<DType> types = new ArrayList<>(in.length);
                for (int i = 0; i < in.length; i++) {
                    Constant c = (Constant) in[i].op();
                    values[i] = new NdArray(c.dtype(), c.shape(), c.values());
                    types.add(c.dtype());
                }
                DType type = op.type(types);
                NdArray v = Interpreter.evaluate(op, shape, type, values);
                return unique(g, new Constant(shape, type, v.data()), new Tensor[0], seen);
            }
        }
        return unique(g, op, in, seen);
    }

    /** Adds {@code op(in)} unless an equal node exists already (inputs are never merged). */
    private static Tensor unique(Graph g, Op op, Tensor[] in, Map<Key, Tensor> seen) {
        if (op instanceof Input) return g.add(op, in);
        int[] ids = new int[in.length];
        for (int i = 0; i < in.length; i++) ids[i] = in[i].id();
        return seen.computeIfAbsent(new Key(op, Ints.of(ids)), k -> g.add(op, in));
    }

    /** The replacement by the first algebraic rule ({@link AlgebraicRules}) that applies, or null. */
    private static Tensor simplify(Graph g, Op op, Tensor[] in) { return AlgebraicRules.SET.rewrite(g, op, in); }

    /** dot_general of transposed operands as a dot_general of the originals, when the output order allows. */
    private static Tensor foldTransposes(Graph g, DotGeneral d, Tensor x, Tensor y, Map<Key, Tensor> seen) {
        Ints lc = d.lhsContract(), rc = d.rhsContract(), lb = d.lhsBatch(), rb = d.rhsBatch();
        Tensor nx = x, ny = y;
        if (x.op() instanceof Transpose t && keepsFreeOrder(t.perm(), d.lhsFree(x.rank()))) {
            lc = map(t.perm(), lc);
            lb = map(t.perm(), lb);
            nx = source(x);
        }
        if (y.op() instanceof Transpose t && keepsFreeOrder(t.perm(), d.rhsFree(y.rank()))) {
            rc = map(t.perm(), rc);
            rb = map(t.perm(), rb);
            ny = source(y);
        }
        if (nx == x && ny == y) return null;
        return unique(g, new DotGeneral(lc, rc, lb, rb), new Tensor[] {nx, ny}, seen);
    }

    private static boolean keepsFreeOrder(Ints perm, Ints free) {
        for (int i = 1; i < free.size(); i++) if (perm.get(free.get(i)) < perm.get(free.get(i - 1))) return false;
        return true;
    }

    private static Ints map(Ints perm, Ints axes) {
        int[] out = new int[axes.size()];
        for (int i = 0; i < out.length; i++) out[i] = perm.get(axes.get(i));
        return Ints.of(out);
    }

    private static Tensor source(Tensor t) { return t.graph().tensor(t.node().inputs().get(0)); }

    /** Whether {@code t} is a constant, or a broadcast constant, with every element {@code v}. */
    private static boolean isFilled(Tensor t, double v) {
        if (t.op() instanceof BroadcastInDim) t = source(t);
        return t.op() instanceof Constant c && c.isFilledWith(v);
    }

    private static boolean allConstant(Tensor[] in) {
        for (Tensor t : in) if (!(t.op() instanceof Constant)) return false;
        return true;
    }

    private static List<Shape> shapes(Tensor[] in) {
        List<Shape> s = new ArrayList<>(in.length);
        for (Tensor t : in) s.add(t.shape());
        return s;
    }
}
