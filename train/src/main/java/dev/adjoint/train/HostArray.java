package dev.adjoint.train;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.Objects;

/**
 * A value on the host: an element type, a shape and a row-major Java array of that type (f32
 * {@code float[]}, f64 {@code double[]}, i32 {@code int[]}, i64 {@code long[]}), what a plan is fed
 * and what it returns. The array is shared, not copied.
 *
 * @param dtype element type
 * @param shape shape
 * @param data row-major values
 */
public record HostArray(DType dtype, Shape shape, Object data) {
    /** Checks that {@code data} is an array of {@code dtype}'s Java type holding {@code shape.size()} values. */
    public HostArray {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        int n = switch (dtype) {
            case F32 -> data instanceof float[] a ? a.length : -1;
            case F64 -> data instanceof double[] a ? a.length : -1;
            case I32 -> data instanceof int[] a ? a.length : -1;
            case I64 -> data instanceof long[] a ? a.length : -1;
            case BOOL -> data instanceof boolean[] a ? a.length : -1;
        };
        if (n < 0) throw new IllegalArgumentException("a " + dtype.label() + shape + " value needs a " + javaType(dtype) + ", got "
                + data.getClass().getSimpleName());
        if (n != shape.size()) {
            throw new IllegalArgumentException("a " + dtype.label() + shape + " value needs " + shape.size() + " elements, got " + n);
        }
    }

    /** An f32 value of shape {@code dims}. */
    public static HostArray f32(float[] data, int... dims) { return new HostArray(DType.F32, Shape.of(dims), data); }

    /** An i32 value of shape {@code dims}. */
    public static HostArray i32(int[] data, int... dims) { return new HostArray(DType.I32, Shape.of(dims), data); }

    /** f32 zeros of {@code shape}. */
    public static HostArray zeros(Shape shape) { return new HostArray(DType.F32, shape, new float[shape.size()]); }

    /** The f32 values. */
    public float[] floats() {
        if (!(data instanceof float[] f)) throw new IllegalStateException("this is " + dtype.label() + shape + ", not f32");
        return f;
    }

    /** A deep copy. */
    public HostArray copy() {
        Object c = switch (data) {
            case float[] a -> a.clone();
            case double[] a -> a.clone();
            case int[] a -> a.clone();
            case long[] a -> a.clone();
            case boolean[] a -> a.clone();
            default -> throw new IllegalStateException();
        };
        return new HostArray(dtype, shape, c);
    }

    /** This value's type and shape, e.g. {@code f32[16, 1, 28, 28]}. */
    public String signature() { return dtype.label() + shape; }

    static String javaType(DType t) {
        return switch (t) {
            case F32 -> "float[]";
            case F64 -> "double[]";
            case I32 -> "int[]";
            case I64 -> "long[]";
            case BOOL -> "boolean[]";
        };
    }
}
