package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Objects;

/**
 * {@code random_bits(key, shape)}: 32 random bits per element (as i32), a pure function of the
 * key, a {@code [2]} i32 tensor, as in JAX: Threefry-2x32 (20 rounds) applied to the counters
 * {@code 0 .. n-1}, split in halves ({@link dev.adjoint.graph.Threefry#randomBits}). The same
 * key gives the same bits on every run, at every thread count and on every machine. Key
 * splitting is {@code random_bits(key, [n, 2])}, which is JAX's {@code split} exactly.
 */
public record RandomBits(Shape shape) implements Op {
    /** Requires a shape. */
    public RandomBits { Objects.requireNonNull(shape, "shape"); }
    @Override public String name() { return "random_bits"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        if (!inputs.get(0).equals(Shape.of(2))) {
            throw Rules.error("random_bits: the key has shape " + inputs.get(0) + " but must have shape [2] (two 32-bit words)");
        }
        return shape;
    }
    @Override public DType type(List<DType> inputs) {
        if (inputs.get(0) != DType.I32) {
            throw Rules.error("random_bits: the key has type " + inputs.get(0).label() + " but must be i32 (make one with Random.key(seed))");
        }
        return DType.I32;
    }
    @Override public String attributes() { return "shape=" + shape; }
}
