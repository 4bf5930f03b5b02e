package dev.adjoint.kernels;

/** Binary elementwise arithmetic operations known to the kernels. */
public enum BinaryKernelOp {
    /** {@code a + b}. */
    ADD,
    /** {@code a - b}. */
    SUB,
    /** {@code a * b}. */
    MUL,
    /** {@code a / b}. */
    DIV,
    /** {@code max(a, b)} with NaN propagating, as {@link Math#max(float, float)}. */
    MAX,
    /** {@code min(a, b)} with NaN propagating, as {@link Math#min(float, float)}. */
    MIN,
    /** {@code a^b}, as {@link Math#pow(double, double)}. */
    POW,
    /** {@code a % b}: the remainder with the sign of a, as Java's float {@code %} (C's fmod). */
    REM;

    /**
     * The scalar definition, used by the scalar fallback and for row-constant operands.
     *
     * @param a left operand
     * @param b right operand
     * @return the result
     */
    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> (float) dev.adjoint.graph.Scalar.pow(a, b);
            case REM -> a % b;
        };
    }

    /**
     * Whether {@code a op b} and {@code b op a} give the same bits for every pair (add, mul, and
     * max/min with Java semantics), so a scalar-vector form can run as vector-scalar.
     *
     * @return true for add, mul, max, min
     */
    public boolean commutative() {
        return switch (this) {
            case ADD, MUL, MAX, MIN -> true;
            case SUB, DIV, POW, REM -> false;
        };
    }
}
