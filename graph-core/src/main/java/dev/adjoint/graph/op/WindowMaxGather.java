package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code window_max_gather(x, t, window)}: for every window of {@code x}, the element of {@code t}
 * (shaped like {@code x}) at the window's arg-max of {@code x}; the output is shaped like
 * {@code window_max(x, window)}. JAX's {@code _select_and_gather_add}: the tangent of
 * {@link WindowMax}.
 *
 * <p>The arg-max is the first maximal tap in the window's scan order (PyTorch's choice on ties),
 * or the first NaN if the window holds one; padded taps never win, and a window of padding only
 * gathers zero. Linear in {@code t}; {@code x} only selects positions, so its derivative is zero
 * almost everywhere ({@link #selectsWith}). Transpose: {@link WindowMaxScatter}.
 */
public record WindowMaxGather(Window window) implements LinearOp {
    @Override public String name() { return "window_max_gather"; }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0), t = inputs.get(1);
        if (!x.equals(t)) {
            throw Rules.error(name() + ": the gathered operand t " + t + " must have the shape of x " + x + " (whose windows select from it)");
        }
        return window.output(name(), x);
    }
    @Override public DType type(List<DType> inputs) {
        Rules.requireFloat(name(), "x", inputs.get(0));
        return Rules.requireSameTypes(name(), inputs);
    }
    /** Linear in {@code t}; {@code x} is fixed. */
    @Override public boolean isLinearIn(int i) { return i == 1; }
    /** {@code x} only selects the positions. */
    @Override public boolean selectsWith(int i) { return i == 0; }
    @Override public String attributes() { return window.attributes(); }

    /** The transpose with respect to {@code t}: the cotangent scatter-added at the same arg-maxes. */
    public WindowMaxScatter transposed() { return new WindowMaxScatter(window); }
}
