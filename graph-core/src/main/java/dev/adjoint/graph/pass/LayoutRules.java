package dev.adjoint.graph.pass;

import static dev.adjoint.graph.pass.Pattern.any;
import static dev.adjoint.graph.pass.Pattern.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Slice;
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
 * <p>The ops between convs that are not elementwise get their own rules, each with its axis
 * attributes mapped through the permutation: {@code concatenate} (SqueezeNet's fire modules,
 * DenseNet's dense blocks), {@code pad}, {@code slice} (ShuffleNet's channel split), the
 * reductions ({@code reduce_sum}, {@code reduce_max/min/prod}: global pooling, softmax, the
 * squeeze-excitation pool) and the classifier head's {@code reshape} (a transpose that moves only
 * unit axes is a reshape). Without them the transpose stops in front of the op, which then runs in
 * NCHW and reads (or fills) NHWC tensors through strided copies.
 *
 * <p>A transpose with other readers stays where it is in front of an elementwise op, a pad or a
 * reshape (sinking it would copy it); it sinks through a concatenate, a slice or a reduction anyway:
 * the concatenation copies its operands whatever their layout, a slice's transpose is a view, and
 * a reduction leaves at most a transpose of its smaller result (none for global pooling). {@code x * f(x)} with both reads of the
 * same transpose (SiLU, {@code x * sigmoid(x)}) sinks as one.
 *
 * <p>Measure: a rule either removes a transpose (cancel, or two merged into one, or one becomes
 * part of a reshape) or moves one past one op towards the outputs; transposes never move back, so
 * the run terminates.
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
        if (!p.equals(m.opAt(Transpose.class, 1).perm())) return null;
        boolean same = m.operand(0).id() == m.operand(1).id(); // x * x: the transpose's two reads are both here
        if (same ? m.uses().applyAsInt(m.operand(0)) > 2 : !m.singleUse(m.operand(0)) || !m.singleUse(m.operand(1))) return null;
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
     * {@code binary(transpose(x, p), unary(transpose(x, p))) -> transpose(binary(x, unary(x)), p)}
     * and the mirror image, when those two are the transpose's only readers: SiLU
     * ({@code x * sigmoid(x)}), which reads its input twice, so neither read alone may sink it.
     */
    public static final Rule<Binary> SINK_SELF_GATE = Rule.of("sink-through-self-gate", op(Binary.class, any(), any()), m -> {
        for (int t = 0; t < 2; t++) {
            Tensor tr = m.operand(t), gate = m.operand(1 - t);
            if (!(tr.op() instanceof Transpose p) || !(gate.op() instanceof Unary u) || !m.singleUse(gate)) continue;
            Tensor inner = m.at(1 - t, 0);
            if (inner.id() != tr.id() || m.uses().applyAsInt(tr) != 2) continue;
            Tensor x = m.at(t, 0), g = m.graph().add(u, x);
            Tensor y = t == 0 ? m.graph().add(m.op(), x, g) : m.graph().add(m.op(), g, x);
            return y.transpose(p.perm().toArray());
        }
        return null;
    });

    /**
     * {@code concatenate(transpose(a, p), transpose(b, p), ..., axis k) ->
     * transpose(concatenate(a, b, ..., axis p[k]), p)}; an operand {@code unary(transpose(x, p))}
     * read only here joins as {@code unary(x)}, and broadcasts or small constants join
     * untransposed ({@link #untransposed}). The transposes may have other readers: the
     * concatenation copies its operands either way.
     */
    public static final Rule<Concatenate> SINK_CONCATENATE = Rule.of("sink-through-concatenate", op(Concatenate.class), m -> {
        Ints p = null;
        for (Tensor t : m.operands()) {
            if (t.op() instanceof Transpose tr) {
                p = tr.perm();
                break;
            }
        }
        if (p == null) return null;
        Tensor[] in = new Tensor[m.operands().length];
        for (int i = 0; i < in.length; i++) {
            Tensor t = m.operand(i);
            if (t.op() instanceof Transpose tr && tr.perm().equals(p)) {
                in[i] = m.at(i, 0);
            } else if (t.op() instanceof Unary u && m.singleUse(t) && m.at(i, 0).op() instanceof Transpose tr && tr.perm().equals(p)) {
                in[i] = m.graph().add(u, m.at(i, 0, 0)); // concatenate(x, relu(x)) and the like
            } else {
                in[i] = untransposed(t, p, sourceShape(t.shape(), p));
            }
            if (in[i] == null) return null;
        }
        return m.graph().add(new Concatenate(p.get(m.op().axis())), in).transpose(p.toArray());
    });

    /** {@code pad(transpose(x, p)) -> transpose(pad'(x), p)}, the padding of axis {@code i} moved to axis {@code p[i]}. */
    public static final Rule<Pad> SINK_PAD = Rule.of("sink-through-pad", op(Pad.class, op(Transpose.class)), m -> {
        if (!m.singleUse(m.operand(0))) return null;
        Ints p = m.opAt(Transpose.class, 0).perm();
        Pad pad = m.op();
        Pad moved = new Pad(toSource(pad.lo(), p), toSource(pad.hi(), p), toSource(pad.interior(), p));
        return m.graph().add(moved, m.at(0, 0)).transpose(p.toArray());
    });

    /** {@code slice(transpose(x, p)) -> transpose(slice'(x), p)}, the bounds of axis {@code i} moved to axis {@code p[i]}. */
    public static final Rule<Slice> SINK_SLICE = Rule.of("sink-through-slice", op(Slice.class, op(Transpose.class)), m -> {
        Ints p = m.opAt(Transpose.class, 0).perm();
        Slice s = m.op();
        Slice moved = new Slice(toSource(s.start(), p), toSource(s.stop(), p), toSource(s.step(), p));
        return m.graph().add(moved, m.at(0, 0)).transpose(p.toArray());
    });

    /** {@code reduce_sum(transpose(x, p), axes) -> transpose(reduce_sum(x, p[axes]), q)}, q the order of the kept axes (often none). */
    public static final Rule<ReduceSum> SINK_REDUCE_SUM = Rule.of("sink-through-reduce-sum", op(ReduceSum.class, op(Transpose.class)),
            m -> reduced(m, m.op().axes(), (x, axes) -> m.graph().add(new ReduceSum(axes), x)));

    /** The same for {@code reduce_max}, {@code reduce_min} and {@code reduce_prod}. */
    public static final Rule<Reduce> SINK_REDUCE = Rule.of("sink-through-reduce", op(Reduce.class, op(Transpose.class)),
            m -> reduced(m, m.op().axes(), (x, axes) -> m.graph().add(new Reduce(m.op().fn(), axes), x)));

    /**
     * {@code reshape(transpose(x)) -> reshape(x)} when the transpose moves only axes of size 1
     * (the row-major order of the elements is unchanged): the classifier head's
     * {@code [1, 1, 1, C] -> [1, C, 1, 1] -> [1, C]}.
     */
    public static final Rule<Reshape> RESHAPE_OF_UNIT_TRANSPOSE = Rule.of("reshape-of-unit-transpose", op(Reshape.class, op(Transpose.class)),
            m -> movesOnlyUnitAxes(m.at(0, 0).shape(), m.opAt(Transpose.class, 0).perm()) ? m.at(0, 0).reshape(m.op().shape().dims()) : null);

    /** {@code transpose(reshape(x)) -> reshape(x)} when the transpose moves only axes of size 1. */
    public static final Rule<Transpose> UNIT_TRANSPOSE_OF_RESHAPE = Rule.of("unit-transpose-of-reshape", op(Transpose.class, op(Reshape.class)),
            m -> movesOnlyUnitAxes(m.operand(0).shape(), m.op().perm())
                    ? m.at(0, 0).reshape(m.op().infer(List.of(m.operand(0).shape())).dims()) : null);

    /**
     * A tensor {@code y'} of shape {@code target} with {@code transpose(y', p) == y}, made without a
     * full-size transpose: a broadcast with its axis map rewritten (its source reshaped or, if
     * small, transposed), a reshape when the transpose moves only unit axes, or a small value
     * computed from constants alone transposed (folded later); null otherwise.
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
            boolean reshapes = nonUnit <= 1 || movesOnlyUnitAxes(c.shape(), Ints.of(sigma)); // same elements in the same order
            Tensor src = sorted ? c : reshapes ? c.reshape(cdims) : c.shape().size() <= Optimizer.FOLD_LIMIT ? c.transpose(sigma) : null;
            if (src == null) return null;
            return src.broadcastInDim(target, dims);
        }
        Ints inverse = p.inversePermutation();
        if (movesOnlyUnitAxes(y.shape(), inverse)) return y.reshape(target.dims()); // [1, C, 1, 1] and the like: the same elements
        boolean small = y.shape().size() <= Optimizer.FOLD_LIMIT;
        if (small && (y.op() instanceof Constant || Pattern.constant().matches(y))) return y.transpose(inverse.toArray()); // folded later
        return null;
    }

    /**
     * {@code reshape(transpose(x, p)) -> transpose(reshape(x), p')} when the reshape splits or
     * merges axes that are neighbours in {@code x} too (axes of size 1 may go anywhere):
     * ShuffleNet's channel shuffle, {@code [N, C, H, W] -> [N, g, C/g, H, W]}, becomes a split of
     * the NHWC channel axis. When a merge needs its axes in another order than {@code x} has them
     * (the shuffle's {@code [N, C/g, g, H, W] -> [N, C, H, W]}), {@code x} is transposed within
     * the group first, which is the shuffle's own data movement, and the rest sinks; this is done
     * only when something is left to sink, so it cannot repeat.
     */
    public static final Rule<Reshape> SINK_RESHAPE = Rule.of("sink-through-reshape", op(Reshape.class, op(Transpose.class)), m -> {
        if (!m.singleUse(m.operand(0))) return null;
        return sinkReshape(m.at(0, 0), m.opAt(Transpose.class, 0).perm(), m.op().shape());
    });

    /** The tensor {@code reshape(transpose(x, p), target)} as a reshape of {@code x} and a transpose, or null (see {@link #SINK_RESHAPE}). */
    static Tensor sinkReshape(Tensor x, Ints p, Shape target) {
        int r = p.size(), k = target.rank();
        Shape y = Shape.of(new Transpose(p).infer(List.of(x.shape())).dims());
        if (y.size() == 0) return null;
        int[] yn = nonUnit(y), sn = nonUnit(target);
        // Minimal groups of consecutive non-unit axes with equal products: y's group g becomes target's group g.
        List<int[]> gy = new java.util.ArrayList<>(), gs = new java.util.ArrayList<>();
        int i = 0, j = 0;
        while (i < yn.length && j < sn.length) {
            int i0 = i, j0 = j;
            long py = y.dim(yn[i++]), ps = target.dim(sn[j++]);
            while (py != ps) {
                if (py < ps) py *= y.dim(yn[i++]);
                else ps *= target.dim(sn[j++]);
            }
            gy.add(Arrays.copyOfRange(yn, i0, i));
            gs.add(Arrays.copyOfRange(sn, j0, j));
        }
        int[] xn = nonUnit(x.shape());
        int[] pos = new int[r];
        Arrays.fill(pos, -1);
        for (int a = 0; a < xn.length; a++) pos[xn[a]] = a;
        int groups = gy.size();
        int[] first = new int[groups]; // each group's first position among x's non-unit axes
        boolean ordered = true;
        for (int g = 0; g < groups; g++) {
            int[] ax = gy.get(g);
            int lo = Integer.MAX_VALUE, hi = -1;
            for (int a = 0; a < ax.length; a++) {
                int q = pos[p.get(ax[a])];
                lo = Math.min(lo, q);
                hi = Math.max(hi, q);
                if (a > 0 && q != pos[p.get(ax[a - 1])] + 1) ordered = false;
            }
            if (hi - lo + 1 != ax.length) return null; // the group's axes are not neighbours in x
            first[g] = lo;
        }
        Integer[] byX = new Integer[groups];
        for (int g = 0; g < groups; g++) byX[g] = g;
        Arrays.sort(byX, (a, b) -> Integer.compare(first[a], first[b]));
        if (!ordered) {
            // x's axes with each group's in y's order (unit axes where they are), then what is left sinks.
            int[] q = new int[r];
            int w = 0, nextGroup = 0;
            for (int a = 0; a < r; a++) {
                if (pos[a] < 0) {
                    q[w++] = a;
                } else if (nextGroup < groups && pos[a] == first[byX[nextGroup]]) {
                    for (int ya : gy.get(byX[nextGroup])) q[w++] = p.get(ya);
                    nextGroup++;
                }
            }
            Ints qi = Ints.of(q).inversePermutation();
            int[] p2 = new int[r];
            for (int a = 0; a < r; a++) p2[a] = qi.get(p.get(a));
            Tensor x2 = x.transpose(q);
            Tensor rest = sinkReshape(x2, Ints.of(p2), target);
            if (rest == null || !(rest.op() instanceof Transpose t) || movesOnlyUnitAxes(x2.graph().tensor(rest.node().inputs().get(0)).shape(), t.perm())) {
                return null; // nothing would sink past the reshape: the rule declines (the transpose made above is dropped as dead code)
            }
            return rest;
        }
        // x reshaped: target's leading unit axes (a batch of 1), x's groups in x's order each with target's dims,
        // then target's other unit axes; so the transpose left is the usual NCHW/NHWC one and meets its partner.
        int lead = 0;
        while (lead < k && target.dim(lead) == 1) lead++;
        int[] dims = new int[k], axisOf = new int[k];
        int w = 0;
        for (int a = 0; a < lead; a++) {
            axisOf[a] = w;
            dims[w++] = 1;
        }
        for (int g : byX) {
            for (int sa : gs.get(g)) {
                axisOf[sa] = w;
                dims[w++] = target.dim(sa);
            }
        }
        for (int a = lead; a < k; a++) {
            if (target.dim(a) != 1) continue;
            axisOf[a] = w;
            dims[w++] = 1;
        }
        Tensor reshaped = x.reshape(dims);
        if (Ints.of(axisOf).equals(Ints.range(k)) || movesOnlyUnitAxes(reshaped.shape(), Ints.of(axisOf))) return x.reshape(target.dims());
        return reshaped.transpose(axisOf);
    }

    private static int[] nonUnit(Shape s) {
        int n = 0;
        for (int a = 0; a < s.rank(); a++) if (s.dim(a) != 1) n++;
        int[] out = new int[n];
        for (int a = 0, w = 0; a < s.rank(); a++) if (s.dim(a) != 1) out[w++] = a;
        return out;
    }

    /** The shape of {@code x} with {@code transpose(x, p)} of shape {@code transposed}. */
    static Shape sourceShape(Shape transposed, Ints p) { return Shape.of(toSource(Ints.of(transposed.dims()), p).toArray()); }

    /** Per-axis attribute values {@code v} of {@code transpose(x, p)} as values for {@code x}'s axes: {@code out[p[i]] = v[i]}. */
    static Ints toSource(Ints v, Ints p) {
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) out[p.get(i)] = v.get(i);
        return Ints.of(out);
    }

    /**
     * {@code reduce(transpose(x, p), axes)} as {@code reduce(x, p[axes])} followed by the
     * transpose that puts the kept axes back in {@code transpose(x, p)}'s order (none if they
     * already are, as for global pooling). The transpose may have other readers: what is left is
     * a transpose of the smaller, reduced tensor.
     */
    static Tensor reduced(Match<?> m, Ints axes, java.util.function.BiFunction<Tensor, Ints, Tensor> reduce) {
        Tensor x = m.at(0, 0);
        Ints p = m.opAt(Transpose.class, 0).perm();
        int r = p.size();
        int[] moved = new int[axes.size()];
        for (int i = 0; i < moved.length; i++) moved[i] = p.get(axes.get(i));
        Arrays.sort(moved);
        Tensor y = reduce.apply(x, Ints.of(moved));
        int[] q = new int[r - moved.length];
        for (int i = 0, j = 0; i < r; i++) {
            if (axes.contains(i)) continue;
            int rank = 0; // p[i]'s position among x's kept axes
            for (int a = 0; a < p.get(i); a++) if (Arrays.binarySearch(moved, a) < 0) rank++;
            q[j++] = rank;
        }
        return Ints.of(q).equals(Ints.range(q.length)) ? y : y.transpose(q);
    }

    /** Whether {@code transpose(x, p)} keeps the row-major order of {@code x}'s elements: it moves only axes of size 1. */
    static boolean movesOnlyUnitAxes(Shape x, Ints p) {
        int last = -1;
        for (int i = 0; i < p.size(); i++) {
            if (x.dim(p.get(i)) == 1) continue;
            if (p.get(i) < last) return false;
            last = p.get(i);
        }
        return true;
    }

    /** The rules, in order. */
    public static final List<Rule<?>> RULES = List.of(AlgebraicRules.TRANSPOSE_IDENTITY, AlgebraicRules.TRANSPOSE_TRANSPOSE,
            UNIT_TRANSPOSE_OF_RESHAPE, RESHAPE_OF_UNIT_TRANSPOSE, SINK_UNARY, SINK_BINARY, SINK_SELF_GATE, SINK_PAST_BROADCAST_RIGHT,
            SINK_PAST_BROADCAST_LEFT, SINK_CONCATENATE, SINK_PAD, SINK_SLICE, SINK_REDUCE_SUM, SINK_REDUCE, SINK_RESHAPE,
            SINK_WINDOW_MAX, SINK_WINDOW_MAX_GATHER, SINK_WINDOW_MAX_SCATTER);

    /** Pass {@code layout}. */
    public static final RuleSet SET = RuleSet.of("layout", "NHWC layout: transposes sunk through elementwise ops, broadcasts, "
            + "concatenate, pad, slice and reductions until NCHW<->NHWC pairs cancel", RULES);
}
