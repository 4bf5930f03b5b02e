package dev.adjoint.autodiff;

import dev.adjoint.autodiff.LinearProgram.Lin;
import dev.adjoint.graph.Graph;
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
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.TakeAlongAxis;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;

/**
 * The JVP rule of every primitive, in one exhaustive switch over the sealed {@code Op}.
 *
 * <p>A rule receives the node's primal operands and output (graph tensors) and the tangents of its
 * operands (linear variables, {@code null} for a symbolic zero), and records the tangent of the
 * output in the {@link LinearProgram} as linear primitives whose non-linear coefficients are primal
 * tensors. Coefficients that must be computed ({@code 1 - y^2} for tanh) are appended to the graph
 * as ordinary primal nodes. A rule whose operand tangents are all zero is never called; a rule may
 * still return {@code null} (a zero tangent: sign, compare, stop_gradient, sources).
 *
 * <p>Conventions at non-differentiable points (documented in README.md): {@code max}/{@code min}
 * pass the tangent of the second operand on ties (so {@code relu'(0) = 0}); {@code reduce_max}
 * averages the tangents of tied maxima; {@code abs'(0) = sign(0) = 0}; the exponent side of
 * {@code pow} uses {@code log(a) * a^b}, defined for {@code a > 0}.
 */
final class JvpRules {
    private JvpRules() {}

    /**
     * Records the tangent of {@code node}'s output.
     *
     * @param x the node's primal operands
     * @param y the node's primal output
     * @param t the operands' tangents, {@code null} where zero (at least one is non-null)
     * @return the output's tangent, or {@code null} if it is zero
     */
    static Lin jvp(Node node, Tensor[] x, Tensor y, Lin[] t, LinearProgram lp) {
        return switch (node.op()) {
            case Input ignored -> null;
            case Constant ignored -> null;
            case Iota ignored -> null;
            case StopGradient ignored -> null;
            case Compare ignored -> null;
            case Unary u -> switch (u.fn()) {
                case NEG -> lp.neg(t[0]);
                case EXP -> lp.mul(t[0], y);
                case LOG -> lp.div(t[0], x[0]);
                case TANH -> lp.mul(t[0], ones(y).sub(y.mul(y)));            // 1 - tanh^2
                case LOGISTIC -> lp.mul(t[0], y.mul(ones(y).sub(y)));       // s (1 - s)
                case SQRT -> lp.div(t[0], y.mul(2.0));                       // 1 / (2 sqrt x)
                case RSQRT -> lp.mul(t[0], y.div(x[0]).mul(-0.5));           // -x^-3/2 / 2 = -y / (2x)
                case ABS -> lp.mul(t[0], x[0].sign());
                case SIGN, FLOOR, CEIL, ROUND, NOT -> null;
                case ERF, SIN, COS, ATAN, LOG1P, EXPM1 -> throw notYet(u);
            };
            case Binary b -> switch (b.fn()) {
                case ADD -> lp.add(t[0], t[1]);
                case SUB -> lp.sub(t[0], t[1]);
                case MUL -> lp.add(lp.mul(t[0], x[1]), lp.mul(t[1], x[0]));
                // d(a/b) = da / b - db * (a/b) / b
                case DIV -> lp.sub(lp.div(t[0], x[1]), t[1] == null ? null : lp.mul(t[1], y.div(x[1])));
                // Ties pass the second operand's tangent: max(x, 0) has derivative 0 at 0.
                case MAX -> choose(true, x, t, lp);
                case MIN -> choose(false, x, t, lp);
                case REM, AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> throw notYet(b);
                case POW -> lp.add(
                        t[0] == null ? null : lp.mul(t[0], x[1].mul(x[0].pow(x[1].sub(1.0)))),
                        t[1] == null ? null : lp.mul(t[1], x[0].log().mul(y)));
            };
            case Select s -> {
                if (t[1] == null && t[2] == null) yield null;
                yield lp.emit(s, x[0], orZeros(t[1], x[1]), orZeros(t[2], x[2]));
            }
            case ReduceSum r -> lp.apply(r, t[0]);
            case Reduce r -> switch (r.fn()) {
                case MAX, MIN -> reduceMax(r, x[0], y, t[0], lp);
                case PROD -> throw notYet(r);
            };
            case ArgReduce r -> null;
            case RandomBits r -> null;
            case Convert c -> c.to().isFloat() ? lp.apply(c, t[0]) : null;
            case Cumsum c -> lp.apply(c, t[0]);
            case Gather op -> throw notYet(op);
            case TakeAlongAxis op -> throw notYet(op);
            case ScatterAdd op -> throw notYet(op);
            case DotGeneral d -> lp.add(t[0] == null ? null : lp.emit(d, t[0], x[1]),
                    t[1] == null ? null : lp.emit(d, x[0], t[1]));
            case Conv c -> lp.add(t[0] == null ? null : lp.emit(c, t[0], x[1]),
                    t[1] == null ? null : lp.emit(c, x[0], t[1]));
            case Concatenate c -> {
                Object[] args = new Object[x.length];
                for (int i = 0; i < x.length; i++) args[i] = orZeros(t[i], x[i]);
                yield lp.emit(c, args);
            }
            case BroadcastInDim op -> lp.apply(op, t[0]);
            case Transpose op -> lp.apply(op, t[0]);
            case Reshape op -> lp.apply(op, t[0]);
            case Pad op -> lp.apply(op, t[0]);
            case Slice op -> lp.apply(op, t[0]);
            case Rev op -> lp.apply(op, t[0]);
        };
    }

    /**
     * The tangent of max (or min): {@code t[0]} where {@code a > b} (or {@code a < b}), else
     * {@code t[1]}. With one tangent zero, a product with the 0/1 mask (only the one needed is
     * built) avoids materializing zeros.
     */
    private static Lin choose(boolean max, Tensor[] x, Lin[] t, LinearProgram lp) {
        if (t[1] == null) return lp.mul(t[0], (max ? x[0].gt(x[1]) : x[0].lt(x[1])).convert(x[0].dtype()));
        if (t[0] == null) return lp.mul(t[1], (max ? x[0].le(x[1]) : x[0].ge(x[1])).convert(x[0].dtype()));
        return lp.emit(new Select(), max ? x[0].gt(x[1]) : x[0].lt(x[1]), t[0], t[1]);
    }

    /** The tangent at the arg-max, averaged over ties: sum(t * mask) / count. */
    private static Lin reduceMax(Reduce r, Tensor x, Tensor y, Lin t, LinearProgram lp) {
        if (t == null) return null;
        Shape xs = x.shape();
        int[] kept = new int[xs.rank() - r.axes().size()];
        for (int a = 0, j = 0; a < xs.rank(); a++) if (!r.axes().contains(a)) kept[j++] = a;
        Tensor mask = x.eq(y.broadcastInDim(xs, kept)).convert(x.dtype());
        Tensor count = mask.sum(r.axes().toArray());
        Tensor weights = mask.div(count.broadcastInDim(xs, kept));
        return lp.emit(new ReduceSum(r.axes()), lp.mul(t, weights));
    }

    /** The tangent if non-zero, else a zero argument shaped like {@code like} (no node unless emitted forward). */
    private static Object orZeros(Lin t, Tensor like) {
        return t != null ? t : new LinearProgram.Zero(like.shape(), like.dtype());
    }

    private static UnsupportedOperationException notYet(dev.adjoint.graph.op.Op op) {
        return new UnsupportedOperationException("autodiff: the JVP of " + op.name() + " is not implemented yet");
    }

    /** Ones shaped like {@code like}: a scalar constant, broadcast. */
    private static Tensor ones(Tensor like) { return like.graph().fill(1.0, like.dtype(), like.shape().dims()); }

    /** Zeros of {@code shape} and {@code type}: a scalar constant, broadcast (two nodes at most). */
    static Tensor zeros(Graph g, Shape shape, dev.adjoint.graph.DType type) { return g.constant(0.0, type).broadcastTo(shape); }
}
