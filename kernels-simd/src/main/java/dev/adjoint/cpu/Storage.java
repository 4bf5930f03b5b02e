package dev.adjoint.cpu;

import dev.adjoint.graph.DType;

/**
 * How each element type is stored in a plan's buffers: f32 in {@code float[]}, f64 in
 * {@code double[]}, i32 in {@code int[]}, i64 in {@code long[]}.
 *
 * <p>bool is stored as 0/1 in a {@code float[]}. Why: masks are made by comparisons and consumed by
 * selects and by {@code convert(mask, F32)} in float arithmetic (the dropout and masking idioms);
 * keeping them in the float domain lets those chains stay in the f32 vector {@code FusedProgram}
 * with no conversion pass, and makes {@code convert(bool -> f32)} a free view. The cost is 4 bytes
 * per bool instead of 1, which {@link Plan#plannedPeakBytes()} counts. Bool inputs are fed and read
 * as {@code boolean[]} and converted at the plan's edge.
 */
final class Storage {
    private Storage() {}

    /** A zeroed array of {@code n} elements of {@code t}'s storage. */
    static Object allocate(DType t, int n) {
        return switch (t) {
            case F32, BOOL -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
            case I64 -> new long[n];
        };
    }

    /** Bytes per stored element (bool: 4, see the class comment). */
    static int bytes(DType t) {
        return switch (t) {
            case F32, BOOL, I32 -> 4;
            case F64, I64 -> 8;
        };
    }

    /** The Java array class {@code t} is stored in. */
    static Class<?> arrayClass(DType t) {
        return switch (t) {
            case F32, BOOL -> float[].class;
            case F64 -> double[].class;
            case I32 -> int[].class;
            case I64 -> long[].class;
        };
    }

    /** Whether {@code t} lives in a {@code float[]}, so the f32 kernels can move it. */
    static boolean isFloatStorage(DType t) { return t == DType.F32 || t == DType.BOOL; }

    /** Name of the Java array type a feed of {@code t} must be. */
    static String feedType(DType t) {
        return switch (t) {
            case F32 -> "float[]";
            case F64 -> "double[]";
            case I32 -> "int[]";
            case I64 -> "long[]";
            case BOOL -> "boolean[]";
        };
    }

    /** A description of a fed value's Java type, for errors. */
    static String describe(Object v) {
        if (v == null) return "null";
        return switch (v) {
            case float[] f -> "a float[] (f32) of " + f.length;
            case double[] d -> "a double[] (f64) of " + d.length;
            case int[] i -> "an int[] (i32) of " + i.length;
            case long[] l -> "a long[] (i64) of " + l.length;
            case boolean[] b -> "a boolean[] (bool) of " + b.length;
            default -> "a " + v.getClass().getSimpleName();
        };
    }

    /** Elements of any storage array. */
    static int length(Object a) {
        return switch (a) {
            case float[] f -> f.length;
            case double[] d -> d.length;
            case int[] i -> i.length;
            case long[] l -> l.length;
            case boolean[] b -> b.length;
            default -> throw new IllegalArgumentException("not a storage array: " + a.getClass());
        };
    }

    /** Element {@code i} of a storage array, as a double (i64 beyond 2^53 rounds). */
    static double get(Object a, int i) {
        return switch (a) {
            case float[] f -> f[i];
            case double[] d -> d[i];
            case int[] n -> n[i];
            case long[] l -> l[i];
            default -> throw new IllegalArgumentException("not a storage array: " + a.getClass());
        };
    }

    /** A storage array of {@code t} holding {@code values} (constants; f32 rounds, integers are exact by Constant's rule). */
    static Object of(DType t, double[] values) {
        Object a = allocate(t, values.length);
        switch (a) {
            case float[] f -> { for (int i = 0; i < f.length; i++) f[i] = (float) values[i]; }
            case double[] d -> System.arraycopy(values, 0, d, 0, d.length);
            case int[] n -> { for (int i = 0; i < n.length; i++) n[i] = (int) values[i]; }
            case long[] l -> { for (int i = 0; i < l.length; i++) l[i] = (long) values[i]; }
            default -> throw new IllegalStateException();
        }
        return a;
    }

    /** A fresh copy of the first {@code n} elements as doubles. */
    static double[] toDoubles(Object a, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = get(a, i);
        return d;
    }
}
