package dev.adjoint.graph.op;

/**
 * A primitive that is linear in its float operands, the others (indices, masks) held fixed: its
 * tangent is the op applied to the operands' tangents, and it has a transpose rule. This is
 * JAX's {@code deflinear}: the JVP is derived once for all of them.
 */
public sealed interface LinearOp extends Op
        permits BroadcastInDim, ReduceSum, Transpose, Reshape, Pad, Slice, Rev, Concatenate, Select, Convert,
                Cumsum, Gather, TakeAlongAxis, ScatterAdd {

    /**
     * Whether the op is linear in operand {@code i}; the other operands are fixed coefficients
     * (a gather's indices, a select's mask). All operands by default.
     */
    default boolean isLinearIn(int i) { return true; }
}
