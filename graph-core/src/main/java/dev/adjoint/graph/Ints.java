package dev.adjoint.graph;

import java.util.Arrays;

/**
 * An immutable tuple of ints: axis lists, permutations, paddings, strides.
 *
 * <p>Op records hold their integer attributes as {@code Ints} rather than {@code int[]} so that
 * records compare by value (common-subexpression elimination and serialization round trips rely
 * on it) and cannot be changed after validation.
 */
public final class Ints {
    private static final Ints EMPTY = new Ints(new int[0]);
    private final int[] values;

    private Ints(int[] values) { this.values = values; }

    /** The tuple of the given values (copied). */
    public static Ints of(int... values) { return values.length == 0 ? EMPTY : new Ints(values.clone()); }

    /** The tuple {@code [0, 1, ..., n-1]}. */
    public static Ints range(int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return new Ints(v);
    }

    /** {@code n} copies of {@code value}. */
    public static Ints filled(int n, int value) {
        int[] v = new int[n];
        Arrays.fill(v, value);
        return new Ints(v);
    }

    /** Number of values. */
    public int size() { return values.length; }

    /** Value at position {@code i}. */
    public int get(int i) { return values[i]; }

    /** A fresh copy of the values. */
    public int[] toArray() { return values.clone(); }

    /** Whether {@code value} occurs in the tuple. */
    public boolean contains(int value) {
        for (int v : values) if (v == value) return true;
        return false;
    }

    /** Position of {@code value}, or -1. */
    public int indexOf(int value) {
        for (int i = 0; i < values.length; i++) if (values[i] == value) return i;
        return -1;
    }

    /** Whether every value is {@code value}. */
    public boolean all(int value) {
        for (int v : values) if (v != value) return false;
        return true;
    }

    /** Whether values strictly increase (a sorted, duplicate-free axis list). */
    public boolean strictlyIncreasing() {
        for (int i = 1; i < values.length; i++) if (values[i] <= values[i - 1]) return false;
        return true;
    }

    /** Whether this is a permutation of {@code 0..size()-1}. */
    public boolean isPermutation() {
        boolean[] seen = new boolean[values.length];
        for (int v : values) {
            if (v < 0 || v >= values.length || seen[v]) return false;
            seen[v] = true;
        }
        return true;
    }

    /** The inverse permutation; requires {@link #isPermutation()}. */
    public Ints inversePermutation() {
        int[] inv = new int[values.length];
        for (int i = 0; i < values.length; i++) inv[values[i]] = i;
        return new Ints(inv);
    }

    /** Element-wise negation. */
    public Ints negate() {
        int[] v = new int[values.length];
        for (int i = 0; i < v.length; i++) v[i] = -values[i];
        return new Ints(v);
    }

    @Override public boolean equals(Object o) { return o instanceof Ints other && Arrays.equals(values, other.values); }
    @Override public int hashCode() { return Arrays.hashCode(values); }
    @Override public String toString() { return Arrays.toString(values); }
}
