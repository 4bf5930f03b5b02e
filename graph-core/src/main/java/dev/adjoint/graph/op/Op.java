package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * A primitive of the op set (docs/ARCHITECTURE.md, "The op set"): an immutable record whose
 * attributes are validated when it is made, and which knows its own shape and type rules.
 *
 * <p>The hierarchy is sealed so that every {@code switch} over ops is exhaustive: adding a
 * primitive makes the compiler list every place that must handle it (interpreter, autodiff
 * rules, executor, serialization, DOT export). Composites (softmax, average pooling, einsum, ...) are not
 * ops; they are built from these in the builder API.
 *
 * <p>The linear structure is part of the hierarchy, as JAX's {@code deflinear} and
 * {@code defbilinear} make it: a {@link LinearOp} is linear in its float operands (its JVP is the
 * op applied to the tangents, derived once), a {@link BilinearOp} in each operand with the other
 * fixed. Only those, and the elementwise {@code add}/{@code sub}/{@code neg}/{@code mul}/{@code div}
 * that linear programs are made of, have transpose rules.
 */
public sealed interface Op permits LinearOp, BilinearOp, Input, Constant, Iota, StopGradient, Unary, Binary,
        Compare, Reduce, ArgReduce, RandomBits, WindowMax {

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

    /**
     * The output element type for the given input element types (checked before the shapes).
     *
     * @throws dev.adjoint.graph.ShapeException naming the operand whose type breaks the rule
     */
    DType type(List<DType> inputs);

    /** A short rendering of the attributes, for errors and DOT labels; empty if there are none. */
    String attributes();
}
