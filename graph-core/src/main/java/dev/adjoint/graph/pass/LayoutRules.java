package dev.adjoint.graph.pass;

import static dev.adjoint.graph.pass.Pattern.any;
import static dev.adjoint.graph.pass.Pattern.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import java.util.Arrays;
import java.util.List;

/**
 * Layout assignment by transpose sinking: convolutions and pools are channels-last (NHWC), so
 * NCHW graphs (ONNX imports, {@code Nn.conv2dNchw}, {@code Nn.maxPoolNchw}) put a
 * {@code toChannelsFirst} transpose after every conv and a {@code toChannelsLast} before the
 * next. These rules move each transpose towards the outputs through elementwise ops (unary,
 * binary with another transpose of the same permutation, binary with a broadcast or a small
 * constant, whose axis map is rewritten), until it meets the next one and
 * {@code transpose(transpose)} cancels. The chain conv, bias, relu, pool, conv then runs NHWC
 * throughout with no transpose between the convs.
 *
 * <p>A transpose with other readers stays where it is (sinking it would copy it).
 *
 * <p>Measure: a rule either removes a transpose (cancel, or two merged into one) or moves one past
 * one elementwise op towards the outputs; transposes never move back, so the run terminates.
 */
public final class LayoutRules {
    private LayoutRules() {}

    /** {@code unary(transpose(x)) -> transpose(unary(x))}. */
    public static final Rule<Unary> SINK_UNARY = Rule.of("sink-through-unary", op(Unary.class, op(Transpose.class)), m -> {
        if (!m.singleUse(m.operand(0))) return null; // another reader keeps the transpose: sinking would copy it
        Ints p = m.opAt(Transpose.class, 0).perm();
        return m.graph().add(m.op(), m.at(0, 0)).transpose(p.toArray());
    });

    /** {@code binary(transpose(a, p), transpose(b, p)) -> transpose(binary(a, b), p)}. */
    public static final Rule<Binary> SINK_BINARY = Rule.of("sink-through-binary", op(Binary.class, op(Transpose.class), op(Transpose.class)), m -> {
        Ints p = m.opAt(Transpose.class, 0).perm();
        if (!p.equals(m.opAt(Transpose.class, 1).perm()) || !m.singleUse(m.operand(0)) || !m.singleUse(m.operand(1))) return null;
        return m.graph().add(m.op(), m.at(0, 0), m.at(1, 0)).transpose(p.toArray());
    });

    /** {@code binary(transpose(a, p), broadcast(c)) -> transpose(binary(a, broadcast'(c)), p)}, and the mirror image. */
    public static final Rule<Binary> SINK_PAST_BROADCAST_RIGHT = Rule.of("sink-past-broadcast", op(Binary.class, op(Transpose.class), any()), m -> {
        if (!m.singleUse(m.operand(0))) return null;
        Tensor other = untransposed(m.operand(1), m.opAt(Transpose.class, 0).perm(), m.at(0, 0).shape());
        return other == null ? null : m.graph().add(m.op(), m.at(0, 0), other).transpose(m.opAt(Transpose.class, 0).perm().toArray());
    });

    /** The mirror image of {@link #SINK_PAST_BROADCAST_RIGHT}. */
    public static final Rule<Binary> SINK_PAST_BROADCAST_LEFT = Rule.of("sink-past-broadcast-left", op(Binary.class, any(), op(Transpose.class)), m -> {
        if (!m.singleUse(m.operand(1))) return null;
        Tensor other = untransposed(m.operand(0), m.opAt(Transpose.class, 1).perm(), m.at(1, 0).shape());
        return other == null ? null : m.graph().add(m.op(), other, m.at(1, 0)).transpose(m.opAt(Transpose.class, 1).perm().toArray());
    });

    /**
     * {@code window_max(transpose(x, p), w) -> transpose(window_max(x, w'), p)}, the window's per-axis
     * attributes permuted ({@link Window#throughTranspose}): an NCHW max pool of an NHWC value runs NHWC.
     */
    public static final Rule<WindowMax> SINK_WINDOW_MAX = Rule.of("sink-through-window-max", op(WindowMax.class, op(Transpose.class)), m -> {
        if (!m.singleUse(m.operand(0))) return null;
        Ints p = m.opAt(Transpose.class, 0).perm();
        return m.graph().add(new WindowMax(m.op().window().throughTranspose(p)), m.at(0, 0)).transpose(p.toArray());
    });

    /** The same for the arg-max gather of a max pool's tangent, both operands transposed alike. */
    public static final Rule<WindowMaxGather> SINK_WINDOW_MAX_GATHER = Rule.of("sink-through-window-max-gather",
            op(WindowMaxGather.class, op(Transpose.class), op(Transpose.class)), m -> {
                Ints p = m.opAt(Transpose.class, 0).perm();
                if (!p.equals(m.opAt(Transpose.class, 1).perm()) || !m.singleUse(m.operand(0)) || !m.singleUse(m.operand(1))) return null;
                return m.graph().add(new WindowMaxGather(m.op().window().throughTranspose(p)), m.at(0, 0), m.at(1, 0)).transpose(p.toArray());
            });

    /** The same for a max pool's gradient scatter, both operands transposed alike. */
    public static final Rule<WindowMaxScatter> SINK_WINDOW_MAX_SCATTER = Rule.of("sink-through-window-max-scatter",
            op(WindowMaxScatter.class, op(Transpose.class), op(Transpose.class)), m -> {
                Ints p = m.opAt(Transpose.class, 0).perm();
                if (!p.equals(m.opAt(Transpose.class, 1).perm()) || !m.singleUse(m.operand(0)) || !m.singleUse(m.operand(1))) return null;
                return m.graph().add(new WindowMaxScatter(m.op().window().throughTranspose(p)), m.at(0, 0), m.at(1, 0)).transpose(p.toArray());
            });

    /**
     * A tensor {@code y'} of shape {@code target} with {@code transpose(y', p) == y}, made without a
     * full-size transpose: a broadcast with its axis map rewritten (its source reshaped or, if
     * small, transposed), or a small constant transposed (folded later); null otherwise.
     */
    static Tensor untransposed(Tensor y, Ints p, Shape target) {
        if (y.op() instanceof BroadcastInDim b) {
            Tensor c = y.graph().tensor(y.node().inputs().get(0));
            int r = b.dims().size();
            Integer[] order = new Integer[r];
            int[] mapped = new int[r];
            for (int i = 0; i < r; i++) {
                order[i] = i;
                mapped[i] = p.get(b.dims().get(i));
            }
            Arrays.sort(order, (i, j) -> Integer.compare(mapped[i], mapped[j]));
            int[] dims = new int[r], sigma = new int[r], cdims = new int[r];
            int nonUnit = 0;
            for (int k = 0; k < r; k++) {
                sigma[k] = order[k];
                dims[k] = mapped[order[k]];
                cdims[k] = c.shape().dim(order[k]);
            }
            for (int i = 0; i < r; i++) if (c.shape().dim(i) != 1) nonUnit++;
            boolean sorted = Ints.of(sigma).equals(Ints.range(r));
            Tensor src = sorted ? c : nonUnit <= 1 ? c.reshape(cdims) : c.shape().size() <= Optimizer.FOLD_LIMIT ? c.transpose(sigma) : null;
            if (src == null) return null;
            return src.broadcastInDim(target, dims);
        }
        if (y.op() instanceof Constant && y.shape().size() <= Optimizer.FOLD_LIMIT) return y.transpose(p.inversePermutation().toArray());
        return null;
    }

    /** The rules, in order. */
    public static final List<Rule<?>> RULES = List.of(AlgebraicRules.TRANSPOSE_IDENTITY, AlgebraicRules.TRANSPOSE_TRANSPOSE, SINK_UNARY,
            SINK_BINARY, SINK_PAST_BROADCAST_RIGHT, SINK_PAST_BROADCAST_LEFT, SINK_WINDOW_MAX, SINK_WINDOW_MAX_GATHER,
            SINK_WINDOW_MAX_SCATTER);

    /** Pass {@code layout}. */
    public static final RuleSet SET = RuleSet.of("layout", "NHWC layout: transposes sunk through elementwise ops and broadcasts until "
            + "NCHW<->NHWC pairs cancel", RULES);
}
