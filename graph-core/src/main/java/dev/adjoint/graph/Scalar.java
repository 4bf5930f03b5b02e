package dev.adjoint.graph;

import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.UnaryFn;

/** The float64 meaning of each elementwise function: the definition the interpreter and kernels are tested against. */
public final class Scalar {
    private Scalar() {}

    /** {@code fn(a)}. */
    public static double unary(UnaryFn fn, double a) {
        return switch (fn) {
            case NEG -> -a;
            case EXP -> Math.exp(a);
            case LOG -> Math.log(a);
            case TANH -> Math.tanh(a);
            case LOGISTIC -> 1.0 / (1.0 + Math.exp(-a));
            case SQRT -> Math.sqrt(a);
            case RSQRT -> 1.0 / Math.sqrt(a);
            case ABS -> Math.abs(a);
            case SIGN -> Math.signum(a);
        };
    }

    /** {@code fn(a, b)}; max and min propagate NaN. */
    public static double binary(BinaryFn fn, double a, double b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> Math.pow(a, b);
        };
    }

    /** {@code a cmp b}; every comparison with NaN is false. */
    public static boolean compare(Comparison cmp, double a, double b) {
        return switch (cmp) {
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            case EQ -> a == b;
        };
    }
}
