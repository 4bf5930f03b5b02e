package dev.adjoint.graph.pass;

import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.RandomBits;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A typed pattern over graph nodes, the left-hand side of a {@link Rule}. A pattern over an op
 * names the op's record class and tests its attributes through that record's accessors, so a
 * pattern over an attribute the op does not have does not compile:
 *
 * <pre>{@code
 * Pattern.op(Binary.class, b -> b.fn() == BinaryFn.MUL, Pattern.any(), Pattern.filledWith(1))
 * }</pre>
 *
 * Operand patterns match the operands in order; a node pattern given no operand patterns matches
 * any operands.
 */
public sealed interface Pattern permits Pattern.Any, Pattern.Filled, Pattern.AnyConstant, Pattern.Node {
    /** Whether the existing tensor {@code t} matches. */
    boolean matches(Tensor t);

    /** Matches anything. */
    record Any() implements Pattern {
        @Override public boolean matches(Tensor t) { return true; }
    }

    /**
     * Matches a constant, or a broadcast constant, whose every element is {@code value}.
     *
     * @param value the fill value
     */
    record Filled(double value) implements Pattern {
        @Override public boolean matches(Tensor t) {
            if (t.op() instanceof BroadcastInDim) t = t.graph().tensor(t.node().inputs().get(0));
            return t.op() instanceof Constant c && c.isFilledWith(value);
        }
    }

    /**
     * Matches a value that depends on no input: constants and what is computed from them alone
     * (a broadcast constant, {@code rsqrt(var + eps)} of constant parameters), up to
     * {@value #CONSTANT_CONE} nodes.
     */
    record AnyConstant() implements Pattern {
        @Override public boolean matches(Tensor t) {
            java.util.ArrayDeque<Integer> work = new java.util.ArrayDeque<>(List.of(t.id()));
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            while (!work.isEmpty()) {
                int id = work.pop();
                if (!seen.add(id)) continue;
                if (seen.size() > CONSTANT_CONE) return false;
                dev.adjoint.graph.Node n = t.graph().node(id);
                if (n.op() instanceof Input || n.op() instanceof RandomBits) return false;
                for (int k = 0; k < n.inputs().size(); k++) work.push(n.inputs().get(k));
            }
            return true;
        }
    }

    /** Largest input-free subgraph {@link AnyConstant} looks through. */
    int CONSTANT_CONE = 64;

    /**
     * Matches a node whose op is an {@code O} satisfying {@code where}, with operands matching
     * {@code operands} (any operands if the list is empty).
     *
     * @param type the op record class
     * @param where a test of the op's attributes
     * @param operands patterns for the operands, in order
     * @param <O> the op type
     */
    record Node<O extends Op>(Class<O> type, Predicate<? super O> where, List<Pattern> operands) implements Pattern {
        /** Copies the operand list. */
        public Node {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(where, "where");
            operands = List.copyOf(operands);
        }

        @Override public boolean matches(Tensor t) {
            Tensor[] in = new Tensor[t.node().inputs().size()];
            for (int i = 0; i < in.length; i++) in[i] = t.graph().tensor(t.node().inputs().get(i));
            return matchesRoot(t.op(), in);
        }

        /** Whether a node about to be built, {@code op(in)}, matches. */
        public boolean matchesRoot(Op op, Tensor[] in) {
            if (!type.isInstance(op) || !where.test(type.cast(op))) return false;
            if (operands.isEmpty()) return true;
            if (operands.size() != in.length) return false;
            for (int i = 0; i < in.length; i++) if (!operands.get(i).matches(in[i])) return false;
            return true;
        }
    }

    /** A pattern matching anything. */
    static Pattern any() { return new Any(); }

    /** A constant (or broadcast constant) with every element equal to {@code value}. */
    static Pattern filledWith(double value) { return new Filled(value); }

    /** A value computed from constants alone (see {@link AnyConstant}). */
    static Pattern constant() { return new AnyConstant(); }

    /** An {@code O} node with attributes satisfying {@code where} and operands matching {@code operands}. */
    static <O extends Op> Node<O> op(Class<O> type, Predicate<? super O> where, Pattern... operands) {
        return new Node<>(type, where, List.of(operands));
    }

    /** An {@code O} node with any attributes and operands matching {@code operands}. */
    static <O extends Op> Node<O> op(Class<O> type, Pattern... operands) { return new Node<>(type, o -> true, List.of(operands)); }
}
