package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Op;
import java.util.Objects;
import java.util.function.Function;

/**
 * A rewrite rule: a typed {@link Pattern} over a node and a replacement computing the same value.
 * The replacement returns an existing tensor (typically an operand), builds new nodes in
 * {@link Match#graph()}, or returns {@code null} to decline (a condition the pattern cannot
 * express). A replacement must have the node's shape and element type; the engine checks it and
 * names the rule if not.
 *
 * <pre>{@code
 * Rule.of("mul-one", Pattern.op(Binary.class, b -> b.fn() == BinaryFn.MUL, Pattern.any(), Pattern.filledWith(1)),
 *         m -> m.operand(0));
 * }</pre>
 *
 * <p>Termination is part of a rule's contract (see {@link RuleSet}): each rule should shrink a
 * documented measure (the built-in ones: the node count, or a transpose's distance to the
 * outputs); the engine stops anyway after a bounded number of rounds and warns.
 *
 * @param name a short name, shown in reports and errors
 * @param pattern the pattern, rooted at an op of type {@code O}
 * @param replacement builds the replacement, or returns null to decline
 * @param <O> the root op type
 */
public record Rule<O extends Op>(String name, Pattern.Node<O> pattern, Function<Match<O>, Tensor> replacement) {
    /** Requires all parts. */
    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(replacement, "replacement");
    }

    /** A rule named {@code name}. */
    public static <O extends Op> Rule<O> of(String name, Pattern.Node<O> pattern, Function<Match<O>, Tensor> replacement) {
        return new Rule<>(name, pattern, replacement);
    }

    /** The replacement for {@code op(in)} about to be built in {@code g}, or null if the rule does not apply. */
    public Tensor apply(Graph g, Op op, Tensor[] in) { return apply(g, op, in, t -> 1); }

    /** Like {@link #apply(Graph, Op, Tensor[])}, with the engine's reader counts ({@link Match#uses()}). */
    public Tensor apply(Graph g, Op op, Tensor[] in, java.util.function.ToIntFunction<Tensor> uses) {
        if (!pattern.matchesRoot(op, in)) return null;
        Tensor r = replacement.apply(new Match<>(g, pattern.type().cast(op), in, uses));
        if (r == null) return null;
        if (r.graph() != g) throw new IllegalStateException("rule " + name + ": its replacement belongs to another graph");
        return r;
    }
}
