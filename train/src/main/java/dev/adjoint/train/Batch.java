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
}
