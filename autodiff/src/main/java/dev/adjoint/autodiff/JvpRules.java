package dev.adjoint.autodiff;

import dev.adjoint.autodiff.LinearProgram.Lin;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.BilinearOp;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.LinearOp;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;

/**
 * The JVP rule of every primitive, in one exhaustive switch over the sealed {@code Op}. Linear
 * and bilinear ops share one derived rule each ({@link LinearOp}, {@link BilinearOp}); only the
 * non-linear ops have rules of their own here.
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
 * {@code pow} uses {@code log(a) * a^b}, defined for {@code a > 0}; floor, ceil, round and sign
 * have derivative zero. Integer and bool values have no tangent (JAX's {@code float0}): a node
 * of such a type gets none, whatever its operands.
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
        if (!y.dtype().isFloat()) return null; // integers and bools have no tangent (JAX's float0)
        return switch (node.op()) {
            case LinearOp op -> linear(op, x, t, lp);
            case BilinearOp op -> lp.add(t[0] == null ? null : lp.emit(op, t[0], x[1]),
                    t[1] == null ? null : lp.emit(op, x[0], t[1]));
            case Input ignored -> null;
            case Constant ignored -> null;
            case Iota ignored -> null;
            case StopGradient ignored -> null;
            case Compare ignored -> null;
            case ArgReduce ignored -> null;
            case RandomBits ignored -> null;
            // The tangent at each window's arg-max (JAX's _reduce_window_chooser_jvp_rule): one linear gather.
            case WindowMax w -> lp.emit(new WindowMaxGather(w.window()), x[0], t[0]);
            case Unary u -> switch (u.fn()) {
                case NEG -> lp.neg(t[0]);
                case EXP -> lp.mul(t[0], y);
                case LOG -> lp.div(t[0], x[0]);
                case TANH -> lp.mul(t[0], ones(y).sub(y.mul(y)));            // 1 - tanh^2
                case LOGISTIC -> lp.mul(t[0], y.mul(ones(y).sub(y)));       // s (1 - s)
                case SQRT -> lp.div(t[0], y.mul(2.0));                       // 1 / (2 sqrt x)
                case RSQRT -> lp.mul(t[0], y.div(x[0]).mul(-0.5));           // -x^-3/2 / 2 = -y / (2x)
                case ABS -> lp.mul(t[0], x[0].sign());
                case ERF -> lp.mul(t[0], x[0].mul(x[0]).neg().exp().mul(2.0 / Math.sqrt(Math.PI))); // 2/sqrt(pi) e^{-x^2}
                case SIN -> lp.mul(t[0], x[0].cos());
                case COS -> lp.mul(t[0], x[0].sin().neg());
                case ATAN -> lp.div(t[0], x[0].mul(x[0]).add(1.0));         // 1 / (1 + x^2)
                case LOG1P -> lp.div(t[0], x[0].add(1.0));                  // 1 / (1 + x)
                case EXPM1 -> lp.mul(t[0], y.add(1.0));                     // e^x = expm1(x) + 1
                // Piecewise constant: the derivative is zero wherever it exists (JAX and PyTorch agree).
                case SIGN, FLOOR, CEIL, ROUND -> null;
                case NOT -> null; // bool or integer only: never reached (no tangent), listed for exhaustiveness
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
                // rem(a, b) = a - trunc(a/b) b: d = da - trunc(a/b) db. The quotient is taken as
                // round((a - rem) / b), the integer the remainder was actually computed with.
                case REM -> lp.sub(t[0], t[1] == null ? null : lp.mul(t[1], x[0].sub(y).div(x[1]).round()));
                // Bool or integer only: never reached (no tangent), listed for exhaustiveness.
                case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> null;
                case POW -> lp.add(
                        t[0] == null ? null : lp.mul(t[0], x[1].mul(x[0].pow(x[1].sub(1.0)))),
                        t[1] == null ? null : lp.mul(t[1], x[0].log().mul(y)));
            };
            case Reduce r -> switch (r.fn()) {
                case MAX, MIN -> reduceMax(r, x[0], y, t[0], lp);
                case PROD -> reduceProd(r, x[0], y, t[0], lp);
            };
        };
    }

    /**
     * The one JVP of every linear op (JAX's {@code deflinear}): the op applied to the tangents of
     * its linear operands, its fixed operands (indices, masks) passed as the primal tensors. A
     * linear operand with a zero tangent is a {@link LinearProgram.Zero} (materialized only if
     * forward mode emits the equation, skipped by transposition); with every linear tangent zero
     * the result is zero. {@code convert} reaches here only between float types: into an integer
     * or bool type the output has no tangent, out of one the operand has none.
     */
    private static Lin linear(LinearOp op, Tensor[] x, Lin[] t, LinearProgram lp) {
        Object[] args = new Object[x.length];
        boolean any = false;
        for (int i = 0; i < x.length; i++) {
            if (op.isLinearIn(i)) {
                args[i] = orZeros(t[i], x[i]);
                any |= t[i] != null;
            } else {
                if (t[i] != null && !op.selectsWith(i)) {
                    throw new IllegalStateException("autodiff: " + op.name() + " operand " + i
                            + " is a fixed coefficient but has a tangent; isLinearIn is wrong");
                }
                args[i] = x[i];
            }
        }
        return any ? lp.emit(op, args) : null;
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

    /**
     * reduce_prod's tangent without dividing by the product (which breaks at zeros): JAX's
     * approach. The reduced axes are moved first and flattened, {@code [n, rest]}; then a pairwise
     * product tree, each level multiplying the first half of the rows by the second (padded with
     * a row of ones when the count is odd), and its tangent by the product rule
     * {@code d(ab) = da b + a db}. {@code ceil(log2 n)} levels of slices and products; every
     * coefficient is a product of primal values, so zeros (one or several) need no special case.
     */
    private static Lin reduceProd(Reduce r, Tensor x, Tensor y, Lin t, LinearProgram lp) {
        Shape xs = x.shape();
        int[] kept = TransposeRules.complement(xs.rank(), r.axes());
        int n = 1, rest = 1;
        for (int a = 0; a < xs.rank(); a++) {
            if (r.axes().contains(a)) n *= xs.dim(a);
            else rest *= xs.dim(a);
        }
        if (n == 0 || rest == 0) return null; // an empty product is the constant 1; an empty output has nothing
        int[] perm = new int[xs.rank()];
        for (int i = 0; i < r.axes().size(); i++) perm[i] = r.axes().get(i);
        System.arraycopy(kept, 0, perm, r.axes().size(), kept.length);
        Shape flat = Shape.of(n, rest);
        boolean moved = !Ints.of(perm).equals(Ints.range(perm.length));
        Tensor p = (moved ? x.transpose(perm) : x).reshape(flat.dims());
        Lin dp = lp.emit(new Reshape(flat), moved ? lp.emit(new Transpose(Ints.of(perm)), t) : t);
        while (n > 1) {
            int n1 = (n + 1) / 2, n2 = n - n1;
            Slice first = new Slice(Ints.of(0, 0), Ints.of(n1, rest), Ints.of(1, 1));
            Slice second = new Slice(Ints.of(n1, 0), Ints.of(n, rest), Ints.of(1, 1));
            Tensor p1 = p.slice(new int[] {0, 0}, new int[] {n1, rest}), p2 = p.slice(new int[] {n1, 0}, new int[] {n, rest});
            Lin d1 = lp.emit(first, dp), d2 = lp.emit(second, dp);
            if (n2 != n1) { // pad the second half with a row of ones (primal) and zeros (tangent)
                p2 = Tensor.concatenate(0, p2, x.graph().fill(1.0, x.dtype(), 1, rest));
                d2 = lp.emit(new Pad(Ints.of(0, 0), Ints.of(1, 0), Ints.of(0, 0)), d2);
            }
            dp = lp.add(lp.mul(d1, p2), lp.mul(d2, p1));
            p = p1.mul(p2);
            n = n1;
        }
        return lp.emit(new Reshape(y.shape()), dp);
    }

    /** The tangent if non-zero, else a zero argument shaped like {@code like} (no node unless emitted forward). */
    private static Object orZeros(Lin t, Tensor like) {
        return t != null ? t : new LinearProgram.Zero(like.shape(), like.dtype());
    }

    /** Ones shaped like {@code like}: a scalar constant, broadcast. */
    private static Tensor ones(Tensor like) { return like.graph().fill(1.0, like.dtype(), like.shape().dims()); }

    /** Zeros of {@code shape} and {@code type}: a scalar constant, broadcast (two nodes at most). */
    static Tensor zeros(Graph g, Shape shape, dev.adjoint.graph.DType type) { return g.constant(0.0, type).broadcastTo(shape); }
}
