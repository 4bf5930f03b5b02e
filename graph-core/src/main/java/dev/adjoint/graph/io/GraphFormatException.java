package dev.adjoint.graph.io;

import java.io.IOException;

/**
 * A graph file could not be read: it is truncated, corrupted (bad checksum), not a graph file
 * (wrong magic), from an unsupported format version, or describes an invalid graph (unknown op
 * tag, input id out of range, a node that breaks its op's shape rule). The message says what is
 * wrong and where: the byte offset in the file and, once nodes are being decoded, the node index.
 *
 * <p>It is a checked {@link IOException} because it arises where I/O errors do, at the same call,
 * and callers handle both the same way: the file is unusable. A reader that throws it never
 * returns, or leaves behind, a partial graph.
 */
public final class GraphFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** An error with a complete message. */
    public GraphFormatException(String message) { super(message); }

    /** An error with a complete message, caused by {@code cause} (e.g. a shape rule broken while re-adding a node). */
    public GraphFormatException(String message, Throwable cause) { super(message, cause); }
}
