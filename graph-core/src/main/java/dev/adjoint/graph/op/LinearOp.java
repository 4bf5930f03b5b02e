package dev.adjoint.graph.op;

/**
 * A primitive that is linear in its float operands, the others (indices, masks) held fixed: its
 * tangent is the op applied to the operands' tangents, and it has a transpose rule. This is
 * JAX's {@code deflinear}: the JVP is derived once for all of them.
 */
public sealed interface LinearOp extends Op
        permits BroadcastInDim, ReduceSum, Transpose, Reshape, Pad, Slice, Rev, Concatenate, Select, Convert,
                Cumsum, Gather, TakeAlongAxis, ScatterAdd, WindowMaxGather, WindowMaxScatter {

    /**
     * Whether the op is linear in operand {@code i}; the other operands are fixed coefficients
     * (a gather's indices, a select's mask). All operands by default.
     */
    default boolean isLinearIn(int i) { return true; }

    /**
     * Whether fixed operand {@code i} only selects positions (a window's arg-max): the output is
     * piecewise constant in it, so its tangent, which second-order autodiff gives it, contributes
     * zero almost everywhere and is dropped. False by default: a fixed operand with a tangent is a bug.
     */
    default boolean selectsWith(int i) { return false; }
}
