package dev.adjoint.graph.op;

/**
 * The elementwise functions of two arguments of one type. Arithmetic takes numeric types
 * (integer arithmetic wraps, integer division truncates toward zero), {@code pow} floats,
 * {@code and}/{@code or}/{@code xor} bool (logical) or integers (bitwise), shifts integers.
 */
public enum BinaryFn {
    /** {@code a + b}. */ ADD,
    /** {@code a - b}. */ SUB,
    /** {@code a * b}. */ MUL,
    /** {@code a / b} (integers: truncated toward zero). */ DIV,
    /** Larger of the two. */ MAX,
    /** Smaller of the two. */ MIN,
    /** {@code a^b}. */ POW,
    /** Remainder of truncated division, sign of {@code a} (C's fmod, Java's %). */ REM,
    /** Logical or bitwise and. */ AND,
    /** Logical or bitwise or. */ OR,
    /** Logical or bitwise exclusive or. */ XOR,
    /** {@code a << b} (b taken modulo the bit width). */ SHIFT_LEFT,
    /** {@code a >>> b}: zeros shifted in. */ SHIFT_RIGHT_LOGICAL,
    /** {@code a >> b}: the sign shifted in. */ SHIFT_RIGHT_ARITHMETIC;

    /** Lower-case name, as in files and DOT output. */
    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
}
