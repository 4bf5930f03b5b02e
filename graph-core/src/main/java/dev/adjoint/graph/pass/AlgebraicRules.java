package dev.adjoint.graph.pass;

import static dev.adjoint.graph.pass.Pattern.any;
import static dev.adjoint.graph.pass.Pattern.filledWith;
import static dev.adjoint.graph.pass.Pattern.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.util.List;

/**
 * The built-in algebraic simplifications as {@link Rule}s: identities exact in IEEE arithmetic
 * ({@code x*1}, {@code x/1}, {@code x-0}, {@code --x}, identity movement ops, reductions over no
 * axes, reshape of reshape, transpose of transpose, a transposed product as the product of
 * swapped operands; {@code x+0 -> x} differs only in the sign of a zero). They are also the
 * examples of the rule API.
 *
 * <p>Measure: every rule returns an operand (one node fewer) or replaces two nodes by at most
 * one, so each firing shrinks the node count and a run reaches its fixed point.
 */
public final class AlgebraicRules {
    private AlgebraicRules() {}

    private static boolean binary(Binary b, BinaryFn fn) { return b.fn() == fn; }

    private static Tensor source(Tensor t) { return t.graph().tensor(t.node().inputs().get(0)); }

    /** {@code stop_gradient(x) -> x}: optimize after differentiating. */
    public static final Rule<StopGradient> STOP_GRADIENT = Rule.of("stop-gradient", op(StopGradient.class), m -> m.operand(0));

    /** A reshape to the operand's own shape. */
    public static final Rule<Reshape> RESHAPE_IDENTITY = Rule.of("reshape-identity", op(Reshape.class),
            m -> m.op().shape().equals(m.operand(0).shape()) ? m.operand(0) : null);

    /** {@code reshape(reshape(x)) -> reshape(x)}. */
    public static final Rule<Reshape> RESHAPE_RESHAPE = Rule.of("reshape-reshape", op(Reshape.class, op(Reshape.class)),
            m -> m.at(0, 0).reshape(m.op().shape().dims()));

    /** A transpose by the identity permutation. */
    public static final Rule<Transpose> TRANSPOSE_IDENTITY = Rule.of("transpose-identity",
            op(Transpose.class, t -> t.perm().equals(Ints.range(t.perm().size()))), m -> m.operand(0));

    /** {@code (x . y)^T -> y . x} when the transpose exchanges the free groups and keeps the batch axes. */
    public static final Rule<Transpose> TRANSPOSE_DOT = Rule.of("transpose-dot", op(Transpose.class, op(DotGeneral.class)), m -> {
        DotGeneral d = m.opAt(DotGeneral.class, 0);
        Tensor dot = m.operand(0);
        if (!swapsFreeAxes(d, dot, m.op().perm())) return null;
        Tensor x = m.at(0, 0), y = m.at(0, 1);
        return m.graph().add(new DotGeneral(d.rhsContract(), d.lhsContract(), d.rhsBatch(), d.lhsBatch()), y, x);
    });

    /** {@code transpose(transpose(x))} composes into one transpose, or none. */
    public static final Rule<Transpose> TRANSPOSE_TRANSPOSE = Rule.of("transpose-transpose", op(Transpose.class, op(Transpose.class)), m -> {
        Ints outer = m.op().perm(), inner = m.opAt(Transpose.class, 0).perm();
        int[] p = new int[outer.size()];
        for (int i = 0; i < p.length; i++) p[i] = inner.get(outer.get(i));
        Tensor x = m.at(0, 0);
        return Ints.of(p).equals(Ints.range(p.length)) ? x : x.transpose(p);
    });

    /** A broadcast to the operand's own shape along the identity axis map. */
    public static final Rule<BroadcastInDim> BROADCAST_IDENTITY = Rule.of("broadcast-identity", op(BroadcastInDim.class),
            m -> m.op().shape().equals(m.operand(0).shape()) && m.op().dims().equals(Ints.range(m.op().dims().size())) ? m.operand(0) : null);

    /** Reductions over no axes. */
    public static final Rule<Reduce> REDUCE_NONE = Rule.of("reduce-none", op(Reduce.class, r -> r.axes().size() == 0), m -> m.operand(0));

    /** {@code reduce_sum} over no axes. */
    public static final Rule<ReduceSum> SUM_NONE = Rule.of("sum-none", op(ReduceSum.class, r -> r.axes().size() == 0), m -> m.operand(0));

    /** A conversion to the operand's own type. */
    public static final Rule<Convert> CONVERT_IDENTITY = Rule.of("convert-identity", op(Convert.class),
            m -> m.op().to() == m.operand(0).dtype() ? m.operand(0) : null);

    /** A slice of everything. */
    public static final Rule<Slice> SLICE_IDENTITY = Rule.of("slice-identity", op(Slice.class, s -> s.start().all(0) && s.step().all(1)),
            m -> m.op().stop().equals(m.operand(0).shape().toInts()) ? m.operand(0) : null);

    /** A pad of nothing. */
    public static final Rule<Pad> PAD_IDENTITY = Rule.of("pad-identity",
            op(Pad.class, p -> p.lo().all(0) && p.hi().all(0) && p.interior().all(0)), m -> m.operand(0));

    /** A reversal of no axes. */
    public static final Rule<Rev> REV_NONE = Rule.of("rev-none", op(Rev.class, r -> r.axes().size() == 0), m -> m.operand(0));

    /** A concatenation of one operand. */
    public static final Rule<Concatenate> CONCAT_ONE = Rule.of("concat-one", op(Concatenate.class),
            m -> m.operands().length == 1 ? m.operand(0) : null);

    /** {@code --x -> x}. */
    public static final Rule<Unary> NEG_NEG = Rule.of("neg-neg",
            op(Unary.class, u -> u.fn() == UnaryFn.NEG, op(Unary.class, u -> u.fn() == UnaryFn.NEG, any())), m -> m.at(0, 0));

    /** {@code x + 0 -> x} (differs only in the sign of a zero). */
    public static final Rule<Binary> ADD_ZERO = Rule.of("add-zero", op(Binary.class, b -> binary(b, BinaryFn.ADD), any(), filledWith(0)),
            m -> m.operand(0));

    /** {@code 0 + x -> x}. */
    public static final Rule<Binary> ZERO_ADD = Rule.of("zero-add", op(Binary.class, b -> binary(b, BinaryFn.ADD), filledWith(0), any()),
            m -> m.operand(1));

    /** {@code x - 0 -> x}. */
    public static final Rule<Binary> SUB_ZERO = Rule.of("sub-zero", op(Binary.class, b -> binary(b, BinaryFn.SUB), any(), filledWith(0)),
            m -> m.operand(0));

    /** {@code x * 1 -> x}. */
    public static final Rule<Binary> MUL_ONE = Rule.of("mul-one", op(Binary.class, b -> binary(b, BinaryFn.MUL), any(), filledWith(1)),
            m -> m.operand(0));

    /** {@code 1 * x -> x}. */
    public static final Rule<Binary> ONE_MUL = Rule.of("one-mul", op(Binary.class, b -> binary(b, BinaryFn.MUL), filledWith(1), any()),
            m -> m.operand(1));

    /** {@code x / 1 -> x}. */
    public static final Rule<Binary> DIV_ONE = Rule.of("div-one", op(Binary.class, b -> binary(b, BinaryFn.DIV), any(), filledWith(1)),
            m -> m.operand(0));

    /** All of them, in the order the optimizer tries them. */
    public static final List<Rule<?>> RULES = List.of(STOP_GRADIENT, RESHAPE_IDENTITY, RESHAPE_RESHAPE, TRANSPOSE_IDENTITY, TRANSPOSE_DOT,
            TRANSPOSE_TRANSPOSE, BROADCAST_IDENTITY, REDUCE_NONE, SUM_NONE, CONVERT_IDENTITY, SLICE_IDENTITY, PAD_IDENTITY, REV_NONE,
            CONCAT_ONE, NEG_NEG, ADD_ZERO, ZERO_ADD, SUB_ZERO, MUL_ONE, ONE_MUL, DIV_ONE);

    /** The rules as a rule set (pass {@code algebraic}). */
    public static final RuleSet SET = RuleSet.of("algebraic", "exact algebraic identities (x*1, x+0, --x, identity movement, "
            + "reshape/transpose chains) as rewrite rules, with CSE", RULES);

    /** Whether {@code perm} keeps the batch axes of {@code dot}'s output and puts y's free axes before x's. */
    static boolean swapsFreeAxes(DotGeneral d, Tensor dot, Ints perm) {
        Tensor x = source(dot);
        int nb = d.lhsBatch().size(), nl = d.lhsFree(x.rank()).size(), nr = perm.size() - nb - nl;
        if (nl == 0 || nr == 0) return false;
        for (int i = 0; i < nb; i++) if (perm.get(i) != i) return false;
        for (int i = 0; i < nr; i++) if (perm.get(nb + i) != nb + nl + i) return false;
        for (int i = 0; i < nl; i++) if (perm.get(nb + nr + i) != nb + i) return false;
        return true;
    }
}
