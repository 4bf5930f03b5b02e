package dev.adjoint.kernels;

/** Comparisons; kernels turn their result into a 0/1 float mask. */
public enum CompareKernelOp {
    /** {@code a < b}. */
    LT,
    /** {@code a <= b}. */
    LE,
    /** {@code a > b}. */
    GT,
    /** {@code a >= b}. */
    GE,
    /** {@code a == b} (false for NaN, as in IEEE 754). */
    EQ,
    /** {@code a != b} (true for NaN). */
    NE;

    /**
     * The scalar definition.
     *
     * @param a left operand
     * @param b right operand
     * @return 1 when the comparison holds, else 0
     */
    public float apply(float a, float b) {
        boolean r = switch (this) {
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            case EQ -> a == b;
            case NE -> a != b;
        };
        return r ? 1f : 0f;
    }

    /**
     * The comparison with its operands swapped: {@code a op b == b op.mirrored() a}.
     *
     * @return GT for LT, GE for LE and back; EQ and NE themselves
     */
    public CompareKernelOp mirrored() {
        return switch (this) {
            case LT -> GT;
            case GT -> LT;
            case LE -> GE;
            case GE -> LE;
            case EQ, NE -> this;
        };
    }
}
