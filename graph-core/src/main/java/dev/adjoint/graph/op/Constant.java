package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A literal tensor of a given element type, its values stored in float64 so that the reference
 * interpreter sees exact values (the executor rounds to the type). Integer values must be
 * integral and within {@code +-2^53} (exact in a double) and fit the type; bool values are 0 or 1.
 * A scalar fill is a scalar constant broadcast.
 */
public record Constant(Shape shape, DType dtype, double[] values) implements Op {
    /** The largest integer magnitude a constant holds exactly. */
    public static final double MAX_EXACT_INTEGER = 9007199254740992.0; // 2^53

    /** Validates and copies the values. */
    public Constant {
        Objects.requireNonNull(dtype, "dtype");
        if (values.length != shape.size()) {
            throw Rules.error("constant: " + values.length + " values given for shape " + shape + " of "
                    + shape.size() + " elements");
        }
        values = values.clone();
        for (int i = 0; i < values.length; i++) {
            String problem = Constant.unrepresentable(dtype, values[i]);
            if (problem != null) throw Rules.error("constant: value " + values[i] + " at index " + i + " " + problem);
        }
    }

    /** An f32 constant. */
    public Constant(Shape shape, double[] values) { this(shape, DType.F32, values); }

    /** Why {@code v} is not a value of {@code type}, or {@code null} if it is. */
    public static String unrepresentable(DType type, double v) {
        return switch (type) {
            case F32, F64 -> null;
            case BOOL -> v == 0 || v == 1 ? null : "is not a bool (0 or 1)";
            case I32 -> v == Math.rint(v) && v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? null : "is not an i32";
            case I64 -> v == Math.rint(v) && Math.abs(v) <= MAX_EXACT_INTEGER ? null : "is not an i64 within +-2^53";
        };
    }

    /** An f32 scalar constant. */
    public static Constant scalar(double value) { return scalar(value, DType.F32); }

    /** A scalar constant of the given type. */
    public static Constant scalar(double value, DType dtype) { return new Constant(Shape.SCALAR, dtype, new double[] {value}); }

    /** The values (a copy; the constant stays immutable). */
    @Override public double[] values() { return values.clone(); }

    /** The value at flat index {@code i}, without copying. */
    public double value(int i) { return values[i]; }

    /** Whether every element equals {@code v}. */
    public boolean isFilledWith(double v) {
        for (double x : values) if (Double.compare(x, v) != 0) return false;
        return true;
    }

    @Override public String name() { return "constant"; }
    @Override public int arity() { return 0; }
    @Override public Shape infer(List<Shape> inputs) { return shape; }
    @Override public DType type(List<DType> inputs) { return dtype; }
    @Override public String attributes() {
        return (values.length == 1 ? String.valueOf(values[0]) : shape.size() + " values") + (dtype == DType.F32 ? "" : " " + dtype.label());
    }
    @Override public boolean equals(Object o) {
        return o instanceof Constant c && c.dtype == dtype && c.shape.equals(shape) && Arrays.equals(c.values, values);
    }
    @Override public int hashCode() { return 31 * (31 * shape.hashCode() + dtype.hashCode()) + Arrays.hashCode(values); }
    @Override public String toString() { return "Constant[shape=" + shape + ", " + attributes() + "]"; }
}
