package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/**
 * {@code argmax(x, axis)} / {@code argmin(x, axis)}: the index of the extremum along one axis,
 * which disappears; the first index on ties. The result is an integer tensor (no tangent).
 */
public record ArgReduce(ArgFn fn, int axis, DType indexType) implements Op {
    /** Validates the axis and the index type. */
    public ArgReduce {
        Objects.requireNonNull(fn, "fn");
        if (axis < 0) throw Rules.error(fn.label() + ": attribute axis " + axis + " is negative; axes must be >= 0");
        if (!indexType.isInteger()) {
            throw Rules.error(fn.label() + ": attribute indexType " + indexType.label() + " must be i32 or i64");
        }
    }
    @Override public String name() { return fn.label(); }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0);
        Rules.requireAxis(name(), axis, x, "x");
        if (x.dim(axis) == 0) throw Rules.error(name() + ": axis " + axis + " of x " + x + " is empty; there is no extremum");
        return Rules.reduced(name(), Ints.of(axis), x);
    }
    @Override public DType type(List<DType> inputs) {
        Rules.requireNumeric(name(), "x", inputs.get(0));
        return indexType;
    }
    @Override public String attributes() { return "axis=" + axis + " index=" + indexType.label(); }
}
