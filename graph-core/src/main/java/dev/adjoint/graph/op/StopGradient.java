package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/** The identity, whose tangent is zero: derivatives do not flow through it. */
public record StopGradient() implements Op {
    @Override public String name() { return "stop_gradient"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) { return inputs.get(0); }
    @Override public DType type(List<DType> inputs) { return inputs.get(0); }
    @Override public String attributes() { return ""; }
}
