package dev.adjoint.autodiff;

import dev.adjoint.autodiff.LinearProgram.Lin;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.BilinearOp;
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
import dev.adjoint.graph.op.LinearOp;
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
import dev.adjoint.graph.op.UnaryFn;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The transpose rule of every linear primitive: given an equation {@code out = op(args)} of a
 * {@link LinearProgram} and the cotangent of {@code out}, emits the cotangent contribution of each
 * linear argument as ordinary primitives. The switches range over the sealed {@link LinearOp} and
 * {@link BilinearOp} exhaustively, plus the elementwise pieces linear programs are made of
 * (neg, add, sub, mul and div by a constant); the ops' own records compute the transposed
 * attributes (pad, slice, broadcast, reduce_sum, transpose, concatenate, cumsum, dot_general, conv), so
 * the rules here only build nodes.
 *
 * <p>Arguments that are primal tensors are constants of the linear map (the {@code c} of
 * {@code t * c}); they get no contribution. Each rule is proven by the dot-product identity
 * {@code <L x, y> = <x, L^T y>} in the tests.
 */
final class TransposeRules {
    private TransposeRules() {}

    /**
     * The contributions of {@code op(args)}'s cotangent {@code ct} to each argument, aligned with
     * {@code args}; {@code null} for primal arguments and for zero contributions.
     *
     * @throws IllegalStateException if {@code op} is not linear in its {@link Lin} arguments
     */
    static Tensor[] transpose(Op op, Object[] args, Tensor ct) {
        Tensor[] out = new Tensor[args.length];
        switch (op) {
            case LinearOp l -> linear(l, args, ct, out);
            case BilinearOp b -> bilinear(b, args, ct, out);
            case Unary u when u.fn() == UnaryFn.NEG -> out[0] = ct.neg();
            case Binary b when b.fn() == BinaryFn.ADD -> { out[0] = ct; out[1] = ct; }
            case Binary b when b.fn() == BinaryFn.SUB -> {
                out[0] = ct;
                if (args[1] instanceof Lin) out[1] = ct.neg();
            }
            case Binary b when b.fn() == BinaryFn.MUL -> { // by a constant, on either side
                if (args[0] instanceof Lin && args[1] instanceof Lin) throw notLinear(op, args);
                if (args[0] instanceof Lin) out[0] = ct.mul((Tensor) args[1]);
                else out[1] = ct.mul((Tensor) args[0]);
            }
            case Binary b when b.fn() == BinaryFn.DIV -> { // by a constant
                if (args[1] instanceof Lin) throw notLinear(op, args);
                out[0] = ct.div((Tensor) args[1]);
            }
            // Not linear: a JVP rule never records them.
            case Unary u -> throw notLinear(u, args);
            case Binary b -> throw notLinear(b, args);
            case Input i -> throw notLinear(i, args);
            case Constant c -> throw notLinear(c, args);
            case Iota i -> throw notLinear(i, args);
            case StopGradient s -> throw notLinear(s, args);
            case Compare c -> throw notLinear(c, args);
            case Reduce r -> throw notLinear(r, args);
            case ArgReduce a -> throw notLinear(a, args);
            case RandomBits r -> throw notLinear(r, args);
            case WindowMax w -> throw notLinear(w, args);
        }
        return out;
    }

    /**
     * The transposes of the linear ops, one case each: cotangent contributions for the linear
     * arguments that are variables ({@link Lin}); fixed operands (indices, masks) and {@code Zero}
     * arguments get none. The attribute algebra lives in the op records ({@code transposed} methods of
     * {@link Pad}, {@link Slice}, {@link BroadcastInDim}, {@link ReduceSum}, {@link Transpose},
     * {@link Concatenate}, {@link Cumsum}, {@link Gather}, {@link TakeAlongAxis}, {@link ScatterAdd});
     * here only nodes are built.
     */
    private static void linear(LinearOp op, Object[] args, Tensor ct, Tensor[] out) {
        Graph g = ct.graph();
        switch (op) {
            case BroadcastInDim b -> out[0] = apply(b.transposed(LinearProgram.shapeOf(args[0])).ops(), ct);
            case ReduceSum r -> out[0] = g.add(r.transposed(LinearProgram.shapeOf(args[0])), ct);
            case Transpose t -> out[0] = g.add(t.transposed(), ct);
            case Reshape r -> out[0] = ct.reshape(LinearProgram.shapeOf(args[0]).dims());
            case Pad p -> out[0] = apply(p.transposed(LinearProgram.shapeOf(args[0])).ops(), ct);
            case Slice s -> out[0] = g.add(s.transposed(LinearProgram.shapeOf(args[0])), ct);
            case Rev r -> out[0] = ct.rev(r.axes().toArray());
            case Concatenate c -> {
                List<Shape> shapes = new ArrayList<>(args.length);
                for (Object a : args) shapes.add(LinearProgram.shapeOf(a));
                for (int i = 0; i < args.length; i++) if (args[i] instanceof Lin) out[i] = g.add(c.transposed(shapes, i), ct);
            }
            case Select s -> {
                Tensor mask = (Tensor) args[0];
                Tensor zeros = JvpRules.zeros(g, ct.shape(), ct.dtype());
                if (args[1] instanceof Lin) out[1] = g.add(s, mask, ct, zeros);
                if (args[2] instanceof Lin) out[2] = g.add(s, mask, zeros, ct);
            }
            case Convert c -> out[0] = ct.convert(LinearProgram.typeOf(args[0])); // back to the operand's float type
            case Cumsum c -> out[0] = g.add(c.transposed(), ct);
            case Gather gt -> out[0] = gatherTranspose(gt, ct, (Tensor) args[1], LinearProgram.shapeOf(args[0]));
            case TakeAlongAxis t -> {
                Shape in = LinearProgram.shapeOf(args[0]);
                if (ct.shape().size() == 0 || in.size() == 0) break; // nothing taken: a zero contribution
                out[0] = g.add(t.transposed(), JvpRules.zeros(g, in, ct.dtype()), (Tensor) args[1], ct);
            }
            // The arg-max pair transpose into each other; x (args[0]) is a fixed primal tensor.
            case WindowMaxGather w -> { if (args[1] instanceof Lin) out[1] = g.add(w.transposed(), (Tensor) args[0], ct); }
            case WindowMaxScatter w -> { if (args[1] instanceof Lin) out[1] = g.add(w.transposed(), (Tensor) args[0], ct); }
            case ScatterAdd sa -> {
                if (args[0] instanceof Lin) out[0] = ct;
                if (args[2] instanceof Lin && LinearProgram.shapeOf(args[2]).size() > 0) {
                    out[2] = g.add(sa.transposed(), ct, (Tensor) args[1]);
                }
            }
        }
    }

    /** The transposes of the bilinear ops with respect to whichever argument is the variable. */
    private static void bilinear(BilinearOp op, Object[] args, Tensor ct, Tensor[] out) {
        if (args[0] instanceof Lin && args[1] instanceof Lin) throw notLinear(op, args);
        switch (op) {
            case DotGeneral d -> {
                int i = args[0] instanceof Lin ? 0 : 1;
                DotGeneral.Transposed t = d.transposed(i, LinearProgram.shapeOf(args[0]), LinearProgram.shapeOf(args[1]));
                Tensor r = ct.graph().add(t.dot(), ct, (Tensor) args[1 - i]);
                out[i] = t.perm() == null ? r : r.graph().add(t.perm(), r);
            }
            case Conv c -> {
                Shape x = LinearProgram.shapeOf(args[0]), k = LinearProgram.shapeOf(args[1]);
                // An empty output, input or kernel contributes nothing (and the formulas need L, K >= 1).
                if (ct.shape().size() == 0 || x.size() == 0 || k.size() == 0) break;
                if (args[0] instanceof Lin) out[0] = conv(c.inputGradient(x, k, ct.shape()), ct, (Tensor) args[1]);
                else out[1] = conv(c.kernelGradient(x, k, ct.shape()), (Tensor) args[0], ct);
            }
        }
    }

    /** Builds {@code t.out(conv(t.lhs(a), t.rhs(b)))}: a transposed convolution as the record describes it. */
    private static Tensor conv(Conv.Transposed t, Tensor a, Tensor b) {
        Tensor y = a.graph().add(t.conv(), apply(t.lhs().ops(), a), apply(t.rhs().ops(), b));
        return apply(t.out().ops(), y);
    }

    /** Applies one-operand primitives in order. */
    private static Tensor apply(List<? extends Op> ops, Tensor t) {
        for (Op o : ops) t = t.graph().add(o, t);
        return t;
    }

    /** gather's transpose ({@link Gather#transposed}): a scatter_add of the regrouped cotangent into zeros. */
    private static Tensor gatherTranspose(Gather gt, Tensor ct, Tensor indices, Shape in) {
        if (indices.shape().size() == 0 || ct.shape().size() == 0) return null; // nothing gathered: a zero contribution
        Gather.Transposed t = gt.transposed(in, indices.shape());
        Graph g = ct.graph();
        Tensor idx = g.add(t.indices(), reshape(t.flatIndices(), indices));
        return g.add(t.scatter(), JvpRules.zeros(g, in, ct.dtype()), idx, reshape(t.updates(), ct));
    }

    /** A reshape node, unless {@code t} has that shape already. */
    private static Tensor reshape(Reshape r, Tensor t) {
        return t.shape().equals(r.shape()) ? t : t.graph().add(r, t);
    }

    private static IllegalStateException notLinear(Op op, Object[] args) {
        return new IllegalStateException("autodiff: " + op.name() + " with arguments " + Arrays.toString(args)
                + " is not a linear equation; a JVP rule recorded it by mistake");
    }

    /** The axes of {@code 0..rank-1} not in {@code axes}, in order. */
    static int[] complement(int rank, Ints axes) {
        int[] out = new int[rank - axes.size()];
        for (int a = 0, j = 0; a < rank; a++) if (!axes.contains(a)) out[j++] = a;
        return out;
    }
}
