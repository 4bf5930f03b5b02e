package dev.adjoint.graph.op;

import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * A primitive of the op set (docs/ARCHITECTURE.md, "The graph and the op set"): an immutable record whose attributes are
 * validated when it is made, and which knows its own shape rule.
 *
 * <p>The hierarchy is sealed so that every {@code switch} over ops is exhaustive: adding a
 * primitive makes the compiler list every place that must handle it (interpreter, autodiff
 * rules, executor, serialization, DOT export). Composites (softmax, pooling, einsum, ...) are not
 * ops; they are built from these in the builder API.
 */
public sealed interface Op
        permits Input, Constant, Iota, StopGradient, Unary, Binary, Compare, Select, BroadcastInDim,
                Reduce, DotGeneral, Transpose, Reshape, Pad, Slice, Rev, Concatenate, Conv {

    /** The op's name as it appears in errors, DOT output and files, e.g. {@code "dot_general"}. */
    String name();

    /** Number of inputs the op takes, or -1 if it takes one or more ({@link Concatenate}). */
    int arity();

    /**
     * The output shape for the given input shapes.
     *
     * @throws dev.adjoint.graph.ShapeException naming the attribute at fault and the rule broken
     *     (the graph adds the op name, the input shapes and the user's line)
     */
    Shape infer(List<Shape> inputs);

    /** A short rendering of the attributes, for errors and DOT labels; empty if there are none. */
    String attributes();
}
