package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
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

    /** Requires sorted, distinct, non-negative reduction axes. */
    static void requireSortedAxes(String op, Ints axes) {
        requireDistinctAxes(op, "axes", axes);
        if (!axes.strictlyIncreasing()) throw error(op + ": attribute axes " + axes + " must be sorted in increasing order");
    }

    /** The shape of {@code x} without {@code axes} (the shape rule of every reduction). */
    static Shape reduced(String op, Ints axes, Shape x) {
        requireAxesInRange(op, "axes", axes, x);
        int[] out = new int[x.rank() - axes.size()];
        for (int i = 0, j = 0; i < x.rank(); i++) if (!axes.contains(i)) out[j++] = x.dim(i);
        return Shape.of(out);
    }

    /** Requires {@code 0 <= axis < x.rank()}. */
    static void requireAxis(String op, int axis, Shape x, String operand) {
        if (axis >= x.rank()) {
            throw error(op + ": attribute axis " + axis + " is out of range for " + operand + " " + x + " of rank " + x.rank());
        }
    }

    /** Requires {@code idx} to have the rank of {@code x} and, off {@code axis}, sizes no larger than its. */
    static void requireIndexShape(String op, int axis, Shape x, Shape idx, String operand) {
        if (idx.rank() != x.rank()) {
            throw error(op + ": " + operand + " " + idx + " must have the rank of x " + x + " (" + x.rank() + ")");
        }
        for (int a = 0; a < x.rank(); a++) {
            if (a != axis && idx.dim(a) > x.dim(a)) {
                throw error(op + ": " + operand + " " + idx + " has size " + idx.dim(a) + " on axis " + a + " but x " + x
                        + " has " + x.dim(a) + "; off axis " + axis + " it may not be larger");
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

    // ---- type rules -----------------------------------------------------------------------------

    /** Requires every operand to have the same element type, and returns it. */
    static DType requireSameTypes(String op, java.util.List<DType> in) {
        DType first = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            if (in.get(i) != first) {
                throw error(op + ": operand types " + first.label() + " and " + in.get(i).label() + " differ; convert one with convert(x, "
                        + first.name() + ")");
            }
        }
        return first;
    }

    /** Requires operand {@code i} to be a float type. */
    static DType requireFloat(String op, String operand, DType t) {
        if (!t.isFloat()) {
            throw error(op + ": " + operand + " has type " + t.label() + " but must be a float type (f32 or f64); convert it with convert(x, F32)");
        }
        return t;
    }

    /** Requires operand {@code i} to be an integer type. */
    static DType requireInteger(String op, String operand, DType t) {
        if (!t.isInteger()) {
            throw error(op + ": " + operand + " has type " + t.label() + " but must be an integer type (i32 or i64); convert it with convert(x, I32)");
        }
        return t;
    }

    /** Requires a numeric (float or integer) type: arithmetic is not defined on bool. */
    static DType requireNumeric(String op, String operand, DType t) {
        if (t == DType.BOOL) {
            throw error(op + ": " + operand + " has type bool but must be numeric; convert it with convert(x, F32)");
        }
        return t;
    }
}
