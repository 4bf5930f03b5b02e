package dev.adjoint.onnx;

/**
 * A model Adjoint cannot import: an unsupported op, attribute value, element type or opset, or a
 * malformed model. The message names the node, the op type, the attribute and the opset;
 * {@link #missing()} is the short form of what is lacking (e.g. {@code "op Loop"}), which the
 * backend-test runner prints as the reason a test is unsupported.
 */
public final class OnnxException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String missing;

    /** An error with its full message and the short form of what is lacking. */
    public OnnxException(String message, String missing) {
        super(message);
        this.missing = missing;
    }

    /** An error with its full message and the short form of what is lacking, and its cause. */
    public OnnxException(String message, String missing, Throwable cause) {
        super(message, cause);
        this.missing = missing;
    }

    /** What is lacking, in a few words (the op, attribute or type). */
    public String missing() { return missing; }
}
