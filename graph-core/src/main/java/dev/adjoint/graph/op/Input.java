package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** A value fed in at run time (data, labels, parameters, optimizer state), of a declared type. */
public record Input(String label, Shape shape, DType dtype) implements Op {
    /** Validates the label. */
    public Input {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        if (label == null || label.isBlank()) throw Rules.error("input: the label must be a non-empty name");
    }
    /** An f32 input. */
    public Input(String label, Shape shape) { this(label, shape, DType.F32); }
    @Override public String name() { return "input"; }
    @Override public int arity() { return 0; }
    @Override public Shape infer(List<Shape> inputs) { return shape; }
    @Override public DType type(List<DType> inputs) { return dtype; }
    @Override public String attributes() { return "\"" + label + "\"" + (dtype == DType.F32 ? "" : " " + dtype.label()); }
}
