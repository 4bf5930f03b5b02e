package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
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
    @Override public DType type(List<DType> inputs) {
        DType t = Rules.requireSameTypes(name(), inputs);
        return switch (fn) {
            case ADD, SUB, MUL, DIV, MAX, MIN, REM -> Rules.requireNumeric(name(), "x", t);
            case POW -> Rules.requireFloat(name(), "x", t);
            case AND, OR, XOR -> {
                if (t.isFloat()) throw Rules.error(name() + ": operands have type " + t.label() + " but must be bool (logical) or an integer type (bitwise)");
                yield t;
            }
            case SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> Rules.requireInteger(name(), "x", t);
        };
    }
    @Override public String attributes() { return ""; }
}
