package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Op;

/**
 * A successful match of a {@link Rule}'s pattern at a node about to be built: its op (typed as
 * the pattern's op class), its operands, and the graph to build a replacement in.
 *
 * @param graph the graph being built; a replacement adds its nodes here
 * @param op the root op
 * @param operands the root's operands (already rewritten)
 * @param uses how many nodes (and outputs) read a tensor of the graph being built, as far as the
 *     engine knows (counted in the graph before the round; 1 for nodes a rule just made)
 * @param <O> the root op's type
 */
public record Match<O extends Op>(Graph graph, O op, Tensor[] operands, java.util.function.ToIntFunction<Tensor> uses) {
    /**
     * Whether {@code t} has one reader: a rule that would otherwise copy {@code t}'s work for its
     * other readers checks this.
     */
    public boolean singleUse(Tensor t) { return uses.applyAsInt(t) <= 1; }

    /** Operand {@code i} of the root. */
    public Tensor operand(int i) { return operands[i]; }

    /**
     * The tensor at a path below the root: {@code at(1, 0)} is operand 0 of the root's operand 1.
     */
    public Tensor at(int... path) {
        Tensor t = operands[path[0]];
        for (int k = 1; k < path.length; k++) t = t.graph().tensor(t.node().inputs().get(path[k]));
        return t;
    }

    /** The op at {@code path} below the root, typed: {@code opAt(Transpose.class, 0)}. */
    public <P extends Op> P opAt(Class<P> type, int... path) { return type.cast(at(path).op()); }
}
