package dev.adjoint.graph;

import dev.adjoint.graph.op.Op;

/**
 * One node of a {@link Graph}: its op, the ids of its inputs (all smaller than its own id, since
 * the graph is append-only), its inferred type (shape and element type), and the user's line
 * that built it.
 *
 * @param id position in the graph
 * @param op the primitive
 * @param inputs ids of the operand nodes, in order
 * @param shape the output shape, inferred when the node was built
 * @param dtype the output element type, inferred when the node was built
 * @param site the first stack frame outside the library when the node was built (may be null)
 */
public record Node(int id, Op op, Ints inputs, Shape shape, DType dtype, StackTraceElement site) {
    /** Where the node was built, as {@code "File.java:12"}, or {@code "unknown"}. */
    public String where() { return CallSite.describe(site); }

    @Override public String toString() {
        return "%" + id + " = " + op.name() + (op.attributes().isEmpty() ? "" : "{" + op.attributes() + "}")
                + inputs + " : " + dtype.label() + shape;
    }
}
