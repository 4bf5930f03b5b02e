package dev.adjoint.graph;

import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.UnaryFn;

/**
 * The meaning of each elementwise function, per element type: the definition the interpreter and
 * kernels are tested against. Floats are computed in float64; integers exactly, wrapping to the
 * type's width as Java's {@code int} and {@code long} arithmetic does; bools are 0 and 1.
 */
public final class Scalar {
    private Scalar() {}

    /** {@code fn(a)} on floats (the float64 definition). */
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
            case ERF -> erf(a);
            case SIN -> Math.sin(a);
            case COS -> Math.cos(a);
            case ATAN -> Math.atan(a);
            case LOG1P -> Math.log1p(a);
            case EXPM1 -> Math.expm1(a);
            case FLOOR -> Math.floor(a);
            case CEIL -> Math.ceil(a);
            case ROUND -> Math.rint(a);
            case NOT -> throw new IllegalArgumentException("not: defined on bool and integers, not floats");
        };
    }

    /** {@code fn(a)} on a value of {@code type}. */
    public static double unary(UnaryFn fn, DType type, double a) {
        if (type.isFloat()) return unary(fn, a);
        long v = (long) a;
        long r = switch (fn) {
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case SIGN -> Long.signum(v);
            case NOT -> type == DType.BOOL ? 1 - v : ~v;
            default -> throw new IllegalArgumentException(fn.label() + ": defined on floats, not " + type.label());
        };
        return wrap(type, r);
    }

    /** {@code fn(a, b)} on floats; max and min propagate NaN. */
    public static double binary(BinaryFn fn, double a, double b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> pow(a, b);
            case REM -> a % b;
            case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC ->
                    throw new IllegalArgumentException(fn.label() + ": defined on bool and integers, not floats");
        };
    }

    /**
     * {@code fn(a, b)} on values of {@code type}.
     *
     * @throws ArithmeticException for an integer division or remainder by zero
     */
    public static double binary(BinaryFn fn, DType type, double a, double b) {
        if (type.isFloat()) return binary(fn, a, b);
        long x = (long) a, y = (long) b;
        int bits = type == DType.I32 ? 32 : 64;
        long r = switch (fn) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> {
                if (y == 0) throw new ArithmeticException("integer division by zero");
                yield type == DType.I32 ? (int) x / (int) y : x / y;
            }
            case REM -> {
                if (y == 0) throw new ArithmeticException("integer remainder by zero");
                yield type == DType.I32 ? (int) x % (int) y : x % y;
            }
            case MAX -> Math.max(x, y);
            case MIN -> Math.min(x, y);
            case AND -> x & y;
            case OR -> x | y;
            case XOR -> x ^ y;
            case SHIFT_LEFT -> bits == 32 ? (int) x << (int) y : x << y;
            case SHIFT_RIGHT_LOGICAL -> bits == 32 ? (int) x >>> (int) y : x >>> y;
            case SHIFT_RIGHT_ARITHMETIC -> bits == 32 ? (int) x >> (int) y : x >> y;
            case POW -> throw new IllegalArgumentException("pow: defined on floats, not " + type.label());
        };
        return wrap(type, r);
    }

    /** {@code a cmp b}; every comparison with NaN is false, except {@code ne}. */
    public static boolean compare(Comparison cmp, double a, double b) {
        return switch (cmp) {
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            case EQ -> a == b;
            case NE -> a != b;
        };
    }

    /**
     * {@code v} converted to {@code to}, as {@link dev.adjoint.graph.op.Convert} defines it; between
     * float types the value is kept (the interpreter computes every float type in float64).
     */
    public static double convert(double v, DType from, DType to) {
        return switch (to) {
            case F32, F64 -> v;
            case BOOL -> v != 0 ? 1 : 0;
            case I32 -> from.isFloat() ? (int) v : wrap(DType.I32, (long) v);
            case I64 -> from.isFloat() ? wrap(DType.I64, (long) v) : v;
        };
    }

    /**
     * An integer result wrapped to {@code type}'s width (bool results are 0/1 already).
     *
     * @throws ArithmeticException for an i64 beyond {@code +-2^53}, which a double cannot hold exactly
     */
    public static double wrap(DType type, long r) {
        return switch (type) {
            case I32 -> (int) r;
            case I64 -> {
                if (Math.abs((double) r) > 9007199254740992.0) {
                    throw new ArithmeticException("i64 value " + r + " is beyond +-2^53, which the reference interpreter cannot hold exactly");
                }
                yield r;
            }
            default -> r;
        };
    }

    /**
     * {@code a^b} as IEEE 754 and C99 define it (and so numpy and PyTorch): {@link Math#pow} but
     * for {@code pow(1, y) = 1} and {@code pow(-1, +-inf) = 1}, where Java gives NaN.
     */
    public static double pow(double a, double b) {
        if (a == 1.0) return 1.0;
        if (a == -1.0 && Double.isInfinite(b)) return 1.0;
        return Math.pow(a, b);
    }

    /**
     * The error function in float64 (relative error near 1e-16): the series
     * {@code 2/sqrt(pi) e^-x^2 sum 2^n x^(2n+1) / (2n+1)!!}, which has no cancellation, for
     * {@code |x| <= 3}, and {@code 1 - erfc(x)} by its continued fraction beyond.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a > 6) return Math.copySign(1.0, x);
        double r;
        if (a <= 3) {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 200 && term > 1e-17 * sum; n++) {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
            }
            r = 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
        } else {
            r = 1 - erfcContinuedFraction(a);
        }
        return Math.copySign(r, x);
    }

    /** erfc(x) for x > 2 by the Laplace continued fraction, evaluated with the modified Lentz method. */
    private static double erfcContinuedFraction(double x) {
        // erfc(x) = e^-x^2 / sqrt(pi) * 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...)))))
        double tiny = 1e-300, f = x, c = x, d = 0;
        for (int n = 1; n < 500; n++) {
            double an = n / 2.0;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            c = x + an / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
