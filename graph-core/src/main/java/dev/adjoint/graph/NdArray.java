package dev.adjoint.graph;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense row-major tensor value as the reference interpreter reads and writes it: the element
 * type, the shape, and the elements as doubles (floats of any type in float64; integers and
 * bools exactly, as whole numbers and 0/1).
 *
 * @param dtype the element type the value is of
 * @param shape the dimensions
 * @param data the elements in row-major order; {@code data.length == shape.size()}
 */
public record NdArray(DType dtype, Shape shape, double[] data) {
    /** Checks that the data fits the shape. */
    public NdArray {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("NdArray: " + data.length + " values for shape " + shape
                    + " of " + shape.size() + " elements");
        }
    }

    /** A float value ({@link DType#F64}) of the given shape. */
    public NdArray(Shape shape, double[] data) { this(DType.F64, shape, data); }

    /** A float value of the given shape with the given row-major data. */
    public static NdArray of(Shape shape, double... data) { return new NdArray(shape, data); }

    /** A value of the given type and shape with the given row-major data. */
    public static NdArray of(DType dtype, Shape shape, double... data) { return new NdArray(dtype, shape, data); }

    /** A float scalar. */
    public static NdArray scalar(double v) { return new NdArray(Shape.SCALAR, new double[] {v}); }

    /** Float zeros of the given shape. */
    public static NdArray zeros(Shape shape) { return new NdArray(shape, new double[shape.size()]); }

    /** The same elements tagged with another type (no copy, no conversion). */
    public NdArray withType(DType type) { return type == dtype ? this : new NdArray(type, shape, data); }

    /** The single element of a one-element value. */
    public double item() {
        if (data.length != 1) throw new IllegalStateException("item(): value has shape " + shape + ", not one element");
        return data[0];
    }

    /** The element at flat row-major index {@code i}. */
    public double get(int i) { return data[i]; }

    /** Equal shapes and elements (the type is not compared: floats of every type are float64 here). */
    @Override public boolean equals(Object o) {
        return o instanceof NdArray a && a.shape.equals(shape) && Arrays.equals(a.data, data);
    }
    @Override public int hashCode() { return 31 * shape.hashCode() + Arrays.hashCode(data); }
    @Override public String toString() {
        return "NdArray" + (dtype == DType.F64 ? "" : " " + dtype.label()) + shape
                + (data.length <= 16 ? Arrays.toString(data) : "[" + data.length + " values]");
    }
}
