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
    private final String value;

    /** An error with its full message and the short form of what is lacking. */
    public OnnxException(String message, String missing) {
        this(message, missing, (String) null);
    }

    /**
     * An error about ONNX value {@code value} (e.g. an input that must be known at import time),
     * with its full message and the short form of what is lacking.
     */
    public OnnxException(String message, String missing, String value) {
        super(message);
        this.missing = missing;
        this.value = value;
    }

    /** An error with its full message and the short form of what is lacking, and its cause. */
    public OnnxException(String message, String missing, Throwable cause) {
        super(message, cause);
        this.missing = missing;
        this.value = null;
    }

    /** What is lacking, in a few words (the op, attribute or type). */
    public String missing() { return missing; }

    /** The ONNX value the error concerns (an input that had to be known at import time), or null. */
    public String value() { return value; }
}
