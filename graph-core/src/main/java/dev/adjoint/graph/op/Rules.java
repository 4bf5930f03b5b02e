package dev.adjoint.graph.op;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;

/** Checks shared by several ops' attribute validation and shape rules. */
final class Rules {
    private Rules() {}

    static ShapeException error(String message) { return new ShapeException(message); }

    /** Requires {@code ints.size() == rank}. */
    static void requireLength(String op, String attr, Ints ints, int rank) {
        if (ints.size() != rank) {
            throw error(op + ": attribute " + attr + " " + ints + " has " + ints.size()
                    + " entries but the input has rank " + rank + "; give one entry per axis");
        }
    }

    /** Requires every entry {@code >= min}. */
    static void requireAtLeast(String op, String attr, Ints ints, int min) {
        for (int i = 0; i < ints.size(); i++) {
            if (ints.get(i) < min) {
                throw error(op + ": attribute " + attr + " " + ints + " has " + ints.get(i) + " at position " + i
                        + "; every entry must be >= " + min);
            }
        }
    }

    /** Requires axes to be distinct and non-negative. */
    static void requireDistinctAxes(String op, String attr, Ints axes) {
        for (int i = 0; i < axes.size(); i++) {
            if (axes.get(i) < 0) {
                throw error(op + ": attribute " + attr + " " + axes + " has negative axis " + axes.get(i)
                        + "; axes must be >= 0");
            }
            for (int j = 0; j < i; j++) {
                if (axes.get(i) == axes.get(j)) {
                    throw error(op + ": attribute " + attr + " " + axes + " repeats axis " + axes.get(i));
                }
            }
        }
    }

    /** Requires each axis {@code < rank}. */
    static void requireAxesInRange(String op, String attr, Ints axes, Shape shape) {
        for (int i = 0; i < axes.size(); i++) {
            if (axes.get(i) >= shape.rank()) {
                throw error(op + ": attribute " + attr + " " + axes + " names axis " + axes.get(i)
                        + " but the input " + shape + " has rank " + shape.rank());
            }
        }
    }

    /** Requires all shapes equal (elementwise ops). */
    static Shape requireSameShapes(String op, java.util.List<Shape> in) {
        Shape first = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            if (!in.get(i).equals(first)) {
                throw error(op + ": operand " + i + " has shape " + in.get(i) + " but operand 0 has shape " + first
                        + "; elementwise primitives need equal shapes (broadcast explicitly with broadcast_in_dim,"
                        + " or use the Tensor methods, which broadcast numpy-style)");
            }
        }
        return first;
    }

    /** Length of {@code n} elements with {@code interior} zeros inserted between neighbours. */
    static long dilated(int n, int interior) { return n == 0 ? 0 : n + (long) (n - 1) * interior; }
}
