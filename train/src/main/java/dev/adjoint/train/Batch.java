package dev.adjoint.train;

import java.util.Objects;

/**
 * Inputs and targets of one step; any leading size (the batch) works, each size compiles once.
 *
 * @param x the model's input
 * @param y the targets (class ids for classification: i32, shape {@code x}'s output without the last axis)
 */
public record Batch(HostArray x, HostArray y) {
    /** Checks for nulls. */
    public Batch {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
    }

    /**
     * Examples {@code from .. from + n} of a data set stored flat: {@code x} holds examples of shape
     * {@code exampleDims} one after the other, {@code y} one class id per example. Copies the slice.
     */
    public static Batch of(float[] x, int[] y, int from, int n, int... exampleDims) {
        int size = 1;
        for (int d : exampleDims) size *= d;
        if (from < 0 || n < 1 || from + n > y.length || (long) (from + n) * size > x.length) {
            throw new IllegalArgumentException("examples " + from + ".." + (from + n) + " are not all in a set of " + y.length
                    + " labels and " + x.length / Math.max(1, size) + " examples of " + java.util.Arrays.toString(exampleDims));
        }
        int[] dims = new int[exampleDims.length + 1];
        dims[0] = n;
        System.arraycopy(exampleDims, 0, dims, 1, exampleDims.length);
        return new Batch(HostArray.f32(java.util.Arrays.copyOfRange(x, from * size, (from + n) * size), dims),
                HostArray.i32(java.util.Arrays.copyOfRange(y, from, from + n), n));
    }
}
