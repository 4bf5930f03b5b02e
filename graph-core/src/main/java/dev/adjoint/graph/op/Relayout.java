package dev.adjoint.graph.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A fixed rearrangement of a tensor's elements, as the transposed convolutions need for their
 * operands: reshape to {@code split} (regrouping an axis into several), transpose by {@code perm},
 * reshape to {@code merged}, then reverse the axes {@code rev}. It computes nothing itself; its
 * {@link #ops()} are the primitives a builder applies, identity steps left out, so every consumer
 * (autodiff's transpose rules, {@code Nn.convTranspose}) builds the same nodes from one algebra.
 *
 * @param input the shape it applies to
 * @param split the shape after the first reshape ({@code input} when nothing is regrouped)
 * @param perm the transpose applied to {@code split}
 * @param merged the final shape, after the second reshape
 * @param rev axes of {@code merged} to reverse (empty for none)
 */
public record Relayout(Shape input, Shape split, Ints perm, Shape merged, Ints rev) {
    /** Validates that the steps compose: equal sizes, a permutation of split's rank, axes in range. */
    public Relayout {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(perm, "perm");
        Objects.requireNonNull(merged, "merged");
        Objects.requireNonNull(rev, "rev");
        if (input.size() != split.size() || split.size() != merged.size()) {
            throw Rules.error("relayout: shapes " + input + " -> " + split + " -> " + merged + " differ in size");
        }
        if (perm.size() != split.rank() || !perm.isPermutation()) {
            throw Rules.error("relayout: perm " + perm + " is not a permutation of the " + split.rank() + " axes of " + split);
        }
        Rules.requireDistinctAxes("relayout", "rev", rev);
        for (int i = 0; i < rev.size(); i++) {
            if (rev.get(i) >= merged.rank()) throw Rules.error("relayout: rev axis " + rev.get(i) + " is out of range for " + merged);
        }
    }

    /** Nothing moves: {@code shape} as it is. */
    public static Relayout identity(Shape shape) {
        return new Relayout(shape, shape, Ints.range(shape.rank()), shape, Ints.of());
    }

    /** A plain transpose of {@code input} by {@code perm}. */
    public static Relayout transpose(Shape input, Ints perm) {
        Shape out = new Transpose(perm).infer(List.of(input));
        return new Relayout(input, input, perm, out, Ints.of());
    }

    /** The same rearrangement, then also reversing {@code axes} of the result. */
    public Relayout reversing(Ints axes) { return new Relayout(input, split, perm, merged, axes); }

    /** The shape after the transpose, before the second reshape. */
    public Shape permuted() { return new Transpose(perm).infer(List.of(split)); }

    /** Whether it leaves every element where it is. */
    public boolean isIdentity() { return ops().isEmpty(); }

    /** The primitives performing it, in order, without identity steps (empty for the identity). */
    public List<LinearOp> ops() {
        List<LinearOp> out = new ArrayList<>(4);
        if (!split.equals(input)) out.add(new Reshape(split));
        if (!perm.equals(Ints.range(perm.size()))) out.add(new Transpose(perm));
        if (!merged.equals(permuted())) out.add(new Reshape(merged));
        if (rev.size() > 0) out.add(new Rev(rev));
        return out;
    }
}
