package dev.adjoint.graph;

import java.util.Locale;

/**
 * The element type of a tensor. Floats carry tangents; integers and booleans do not (their
 * derivative is a symbolic zero, JAX's {@code float0}).
 *
 * <p>The reference interpreter computes every float type in float64 and integers exactly; the
 * executor stores each type in its own Java array ({@code float[]}, {@code double[]},
 * {@code int[]}, {@code long[]}, and {@code boolean[]} at its API).
 */
public enum DType {
    /** 32-bit IEEE float, the default. */ F32,
    /** 64-bit IEEE float. */ F64,
    /** 32-bit two's-complement integer (arithmetic wraps). */ I32,
    /** 64-bit two's-complement integer (arithmetic wraps). */ I64,
    /** true or false. */ BOOL;

    /** Lower-case name, as in errors, files and DOT output: {@code f32}, {@code i64}, ... */
    public String label() { return name().toLowerCase(Locale.ROOT); }

    /** Whether this is {@link #F32} or {@link #F64}: the types that have tangents. */
    public boolean isFloat() { return this == F32 || this == F64; }

    /** Whether this is {@link #I32} or {@link #I64}. */
    public boolean isInteger() { return this == I32 || this == I64; }

    /** Bytes per element in the executor's storage. */
    public int bytes() {
        return switch (this) {
            case F32, I32 -> 4;
            case F64, I64 -> 8;
            case BOOL -> 1;
        };
    }

    /** The type named {@code label} ({@code "f32"}, ...), case-insensitive. */
    public static DType of(String label) {
        for (DType t : values()) if (t.label().equalsIgnoreCase(label)) return t;
        throw new IllegalArgumentException("unknown element type \"" + label + "\"; expected one of f32, f64, i32, i64, bool");
    }

    @Override public String toString() { return label(); }
}
