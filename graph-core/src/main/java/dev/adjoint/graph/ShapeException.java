package dev.adjoint.graph;

/**
 * A graph was built wrong: an op's inputs or attributes break its rule. Raised when the node is
 * built. The message names the op, the input shapes, the attribute at fault, the rule broken
 * and the user's line that built the node.
 */
public final class ShapeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** An error with a complete message. */
    public ShapeException(String message) { super(message); }
}
