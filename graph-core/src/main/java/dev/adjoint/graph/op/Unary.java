package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
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
    @Override public DType type(List<DType> inputs) {
        DType t = inputs.get(0);
        return switch (fn) {
            case NEG, ABS, SIGN -> Rules.requireNumeric(name(), "x", t);
            case NOT -> {
                if (t.isFloat()) throw Rules.error("not: x has type " + t.label() + " but must be bool (logical not) or an integer type (bitwise not)");
                yield t;
            }
            default -> Rules.requireFloat(name(), "x", t);
        };
    }
    @Override public String attributes() { return ""; }
}
