package dev.adjoint.graph.op;

import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** A value fed in at run time (data, labels, parameters, optimizer state). */
public record Input(String label, Shape shape) implements Op {
    /** Validates the label. */
    public Input {
        Objects.requireNonNull(shape, "shape");
        if (label == null || label.isBlank()) throw Rules.error("input: the label must be a non-empty name");
    }
    @Override public String name() { return "input"; }
    @Override public int arity() { return 0; }
    @Override public Shape infer(List<Shape> inputs) { return shape; }
    @Override public String attributes() { return "\"" + label + "\""; }
}
