package dev.adjoint.graph.op;

import dev.adjoint.graph.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * A literal tensor, stored in float64 so that the reference interpreter sees exact values
 * (the executor rounds to float32). A scalar fill is a scalar constant broadcast.
 */
public record Constant(Shape shape, double[] values) implements Op {
    /** Validates and copies the values. */
    public Constant {
        if (values.length != shape.size()) {
            throw Rules.error("constant: " + values.length + " values given for shape " + shape + " of "
                    + shape.size() + " elements");
        }
        values = values.clone();
    }

    /** A scalar constant. */
    public static Constant scalar(double value) { return new Constant(Shape.SCALAR, new double[] {value}); }

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
    @Override public String attributes() {
        return values.length == 1 ? String.valueOf(values[0]) : shape.size() + " values";
    }
    @Override public boolean equals(Object o) {
        return o instanceof Constant c && c.shape.equals(shape) && Arrays.equals(c.values, values);
    }
    @Override public int hashCode() { return 31 * shape.hashCode() + Arrays.hashCode(values); }
    @Override public String toString() { return "Constant[shape=" + shape + ", " + attributes() + "]"; }
}
