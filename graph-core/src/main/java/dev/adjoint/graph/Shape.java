package dev.adjoint.graph;

import java.util.Arrays;

/**
 * The dimensions of a dense row-major tensor: rank 0 (a scalar) and up, every size {@code >= 0},
 * element count checked for overflow when the shape is made.
 */
public final class Shape {
    /** The rank-0 shape of a scalar. */
    public static final Shape SCALAR = new Shape(new int[0], 1);

    private final int[] dims;
    private final long size;

    private Shape(int[] dims, long size) {
        this.dims = dims;
        this.size = size;
    }

    /**
     * The shape with the given dimensions.
     *
     * @throws ShapeException if a size is negative or the element count overflows a Java array index
     */
    public static Shape of(int... dims) {
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new ShapeException("shape " + Arrays.toString(dims) + ": size " + dims[i]
                        + " of axis " + i + " is negative; sizes must be >= 0");
            }
            n *= dims[i];
            if (n > Integer.MAX_VALUE - 8) {
                throw new ShapeException("shape " + Arrays.toString(dims) + ": element count overflows; at most "
                        + (Integer.MAX_VALUE - 8) + " elements fit in one tensor");
            }
        }
        return dims.length == 0 ? SCALAR : new Shape(dims.clone(), n);
    }

    /** The shape with the given dimensions. */
    public static Shape of(Ints dims) { return of(dims.toArray()); }

    /** Number of axes. */
    public int rank() { return dims.length; }

    /** Size of axis {@code axis}. */
    public int dim(int axis) { return dims[axis]; }

    /** The sizes as a fresh array. */
    public int[] dims() { return dims.clone(); }

    /** The sizes as an immutable tuple. */
    public Ints toInts() { return Ints.of(dims); }

    /** Number of elements (1 for a scalar). */
    public int size() { return (int) size; }

    /** Row-major strides in elements: the last axis has stride 1. */
    public int[] strides() {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    @Override public boolean equals(Object o) { return o instanceof Shape other && Arrays.equals(dims, other.dims); }
    @Override public int hashCode() { return Arrays.hashCode(dims); }
    @Override public String toString() { return Arrays.toString(dims); }
}
