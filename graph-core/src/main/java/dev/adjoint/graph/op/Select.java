package dev.adjoint.graph.op;

import dev.adjoint.graph.Shape;
import java.util.List;

/** {@code select(mask, a, b)}: {@code a} where the mask is non-zero, else {@code b}; all of one shape. */
public record Select() implements Op {
    @Override public String name() { return "select"; }
    @Override public int arity() { return 3; }
    @Override public Shape infer(List<Shape> inputs) { return Rules.requireSameShapes(name(), inputs); }
    @Override public String attributes() { return ""; }
}
