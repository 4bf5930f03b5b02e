package dev.adjoint.graph;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense row-major float64 tensor value: what the reference interpreter reads and writes.
 *
 * @param shape the dimensions
 * @param data the elements in row-major order; {@code data.length == shape.size()}
 */
public record NdArray(Shape shape, double[] data) {
    /** Checks that the data fits the shape. */
    public NdArray {
        Objects.requireNonNull(shape, "shape");
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("NdArray: " + data.length + " values for shape " + shape
                    + " of " + shape.size() + " elements");
        }
    }

    /** A value of the given shape with the given row-major data. */
    public static NdArray of(Shape shape, double... data) { return new NdArray(shape, data); }

    /** A scalar. */
    public static NdArray scalar(double v) { return new NdArray(Shape.SCALAR, new double[] {v}); }

    /** Zeros of the given shape. */
    public static NdArray zeros(Shape shape) { return new NdArray(shape, new double[shape.size()]); }

    /** The single element of a one-element value. */
    public double item() {
        if (data.length != 1) throw new IllegalStateException("item(): value has shape " + shape + ", not one element");
        return data[0];
    }

    /** The element at flat row-major index {@code i}. */
    public double get(int i) { return data[i]; }

    @Override public boolean equals(Object o) {
        return o instanceof NdArray a && a.shape.equals(shape) && Arrays.equals(a.data, data);
    }
    @Override public int hashCode() { return 31 * shape.hashCode() + Arrays.hashCode(data); }
    @Override public String toString() {
        return "NdArray" + shape + (data.length <= 16 ? Arrays.toString(data) : "[" + data.length + " values]");
    }
}
