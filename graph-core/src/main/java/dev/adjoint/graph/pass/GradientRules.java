package dev.adjoint.graph.pass;

import static dev.adjoint.graph.pass.Pattern.any;
import static dev.adjoint.graph.pass.Pattern.constant;
import static dev.adjoint.graph.pass.Pattern.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.ReduceSum;
import java.util.ArrayList;
import java.util.List;

/**
 * Simplifications for gradient graphs, whose transpose rules produce broadcast-then-reduce pairs,
 * reshape and transpose chains and repeated scaled terms:
 * <ul>
 *   <li>{@code reduce_sum(broadcast(x))} over broadcast axes only is {@code x * n} (broadcast over
 *       what remains);</li>
 *   <li>{@code reduce_sum(reduce_sum(x))} is one reduction;</li>
 *   <li>{@code x*a + x*b} with constant {@code a, b} is {@code x * (a + b)};</li>
 *   <li>reshape and transpose chains ({@link AlgebraicRules}).</li>
 * </ul>
 * Common subexpressions between the forward and backward parts are shared by the engine (every
 * round is also a CSE), and gradients nobody reads are pruned (only what outputs need is rebuilt).
 * The reductions' sums are reassociated, so results agree to rounding, not bit for bit.
 *
 * <p>Measure: every rule replaces two or more nodes by fewer (a broadcast and a reduce by a
 * broadcast and a scale of the smaller tensor; the merged sums by one product).
 */
public final class GradientRules {
    private GradientRules() {}

    /** {@code reduce_sum(broadcast_in_dim(x), axes)} with every summed axis a new one: {@code x * n}, still broadcast over the rest. */
    public static final Rule<ReduceSum> SUM_OF_BROADCAST = Rule.of("sum-of-broadcast", op(ReduceSum.class, op(BroadcastInDim.class)), m -> {
        BroadcastInDim b = m.opAt(BroadcastInDim.class, 0);
        Ints axes = m.op().axes();
        long n = 1;
        for (int i = 0; i < axes.size(); i++) {
            if (b.dims().contains(axes.get(i))) return null;
            n *= b.shape().dim(axes.get(i));
        }
        Tensor x = m.at(0, 0);
        Shape out = m.op().infer(List.of(b.shape()));
        int[] dims = new int[b.dims().size()];
        for (int i = 0; i < dims.length; i++) {
            int d = b.dims().get(i), below = 0;
            for (int k = 0; k < axes.size(); k++) if (axes.get(k) < d) below++;
            dims[i] = d - below;
        }
        Tensor scaled = n == 1 ? x : x.mul(m.graph().constant((double) n, x.dtype()).broadcastTo(x.shape()));
        return scaled.shape().equals(out) && Ints.of(dims).equals(Ints.range(dims.length)) ? scaled : scaled.broadcastInDim(out, dims);
    });

    /** {@code reduce_sum(reduce_sum(x, a), b)}: one reduction over the union (a reassociated sum). */
    public static final Rule<ReduceSum> SUM_OF_SUM = Rule.of("sum-of-sum", op(ReduceSum.class, op(ReduceSum.class)), m -> {
        if (!m.singleUse(m.operand(0))) return null; // the inner sum is needed anyway
        Ints inner = m.opAt(ReduceSum.class, 0).axes(), outer = m.op().axes();
        Tensor x = m.at(0, 0);
        List<Integer> kept = new ArrayList<>();
        for (int a = 0; a < x.rank(); a++) if (!inner.contains(a)) kept.add(a);
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < inner.size(); i++) all.add(inner.get(i));
        for (int i = 0; i < outer.size(); i++) all.add(kept.get(outer.get(i)));
        int[] axes = all.stream().mapToInt(Integer::intValue).sorted().toArray();
        return x.sum(axes, false);
    });

    /** {@code x*a + x*b -> x * (a + b)} for constants (or broadcast constants) {@code a, b}. */
    public static final Rule<Binary> MERGE_SCALED = Rule.of("merge-scaled-sums", op(Binary.class, b -> b.fn() == BinaryFn.ADD,
            op(Binary.class, b -> b.fn() == BinaryFn.MUL, any(), constant()), op(Binary.class, b -> b.fn() == BinaryFn.MUL, any(), constant())),
            m -> m.at(0, 0).id() == m.at(1, 0).id() ? m.at(0, 0).mul(m.at(0, 1).add(m.at(1, 1))) : null);

    /** The rules, in order. */
    public static final List<Rule<?>> RULES = List.of(SUM_OF_BROADCAST, SUM_OF_SUM, MERGE_SCALED, AlgebraicRules.RESHAPE_IDENTITY,
            AlgebraicRules.RESHAPE_RESHAPE, AlgebraicRules.TRANSPOSE_IDENTITY, AlgebraicRules.TRANSPOSE_TRANSPOSE, AlgebraicRules.BROADCAST_IDENTITY,
            AlgebraicRules.SUM_NONE);

    /** Pass {@code gradient}. */
    public static final RuleSet SET = RuleSet.of("gradient", "gradient graphs: broadcast-then-reduce, reduce chains, merged scaled sums, "
            + "reshape/transpose chains, with CSE across forward and backward", RULES);
}
