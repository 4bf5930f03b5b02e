package dev.adjoint.graph.op;

import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/** An elementwise function of two tensors of the same shape (broadcasting is explicit). */
public record Binary(BinaryFn fn) implements Op {
    /** Requires a function. */
    public Binary { Objects.requireNonNull(fn, "fn"); }
    @Override public String name() { return fn.label(); }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) { return Rules.requireSameShapes(name(), inputs); }
    @Override public String attributes() { return ""; }
}
