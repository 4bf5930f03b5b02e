package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/** The index ramp along one axis: {@code out[..., i_axis, ...] = i_axis}, of a numeric type (one-hot labels, masks, positions). */
public record Iota(Shape shape, int axis, DType dtype) implements Op {
    /** Validates the axis and the type. */
    public Iota {
        if (axis < 0 || axis >= shape.rank()) {
            throw Rules.error("iota: attribute axis " + axis + " is out of range for shape " + shape
                    + "; it must be in [0, " + shape.rank() + ")");
        }
        Rules.requireNumeric("iota", "the type", dtype);
    }
    /** An i32 ramp. */
    public Iota(Shape shape, int axis) { this(shape, axis, DType.I32); }
    @Override public String name() { return "iota"; }
    @Override public int arity() { return 0; }
    @Override public Shape infer(List<Shape> inputs) { return shape; }
    @Override public DType type(List<DType> inputs) { return dtype; }
    @Override public String attributes() { return "axis=" + axis + " " + dtype.label(); }
}
