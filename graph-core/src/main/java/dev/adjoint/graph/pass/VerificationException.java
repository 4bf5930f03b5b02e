package dev.adjoint.graph.pass;

/** A pass produced an ill-formed graph, or one that computes something else; the message names the pass and the node. */
public final class VerificationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** With a message naming the pass and the node at fault. */
    public VerificationException(String message) { super(message); }
}
