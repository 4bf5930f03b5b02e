package dev.adjoint.graph.op;

import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** An elementwise function of one tensor. */
public record Unary(UnaryFn fn) implements Op {
    /** Requires a function. */
    public Unary { Objects.requireNonNull(fn, "fn"); }
    @Override public String name() { return fn.label(); }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) { return inputs.get(0); }
    @Override public String attributes() { return ""; }
}
