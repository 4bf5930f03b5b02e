package dev.adjoint.graph.op;

import dev.adjoint.graph.Shape;
import java.util.List;

/** The index ramp along one axis: {@code out[..., i_axis, ...] = i_axis} (used for one-hot labels). */
public record Iota(Shape shape, int axis) implements Op {
    /** Validates the axis. */
    public Iota {
        if (axis < 0 || axis >= shape.rank()) {
            throw Rules.error("iota: attribute axis " + axis + " is out of range for shape " + shape
                    + "; it must be in [0, " + shape.rank() + ")");
        }
    }
    @Override public String name() { return "iota"; }
    @Override public int arity() { return 0; }
    @Override public Shape infer(List<Shape> inputs) { return shape; }
    @Override public String attributes() { return "axis=" + axis; }
}
