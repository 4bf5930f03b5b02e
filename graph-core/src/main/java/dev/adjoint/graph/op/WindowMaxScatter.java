package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code window_max_scatter(x, c, window)}: zeros shaped like {@code x} with each element of
 * {@code c} (shaped like {@code window_max(x, window)}) added at its window's arg-max of {@code x};
 * overlapping windows that pick the same position accumulate. JAX's
 * {@code _select_and_scatter_add}, PyTorch's max-pool backward: the gradient of {@link WindowMax}
 * in one pass.
 *
 * <p>The arg-max is the one {@link WindowMaxGather} uses (first maximum in scan order, first NaN;
 * padding never; a window of padding only adds nowhere). Linear in {@code c}; {@code x} only
 * selects positions ({@link #selectsWith}). Transpose: {@link WindowMaxGather}.
 */
public record WindowMaxScatter(Window window) implements LinearOp {
    @Override public String name() { return "window_max_scatter"; }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0), c = inputs.get(1), windows = window.output(name(), x);
        if (!windows.equals(c)) {
            throw Rules.error(name() + ": the scattered operand " + c + " must have the shape of the windows' grid " + windows
                    + " of x " + x + " (" + window.attributes() + ")");
        }
        return x;
    }
    @Override public DType type(List<DType> inputs) {
        Rules.requireFloat(name(), "x", inputs.get(0));
        return Rules.requireSameTypes(name(), inputs);
    }
    /** Linear in {@code c}; {@code x} is fixed. */
    @Override public boolean isLinearIn(int i) { return i == 1; }
    /** {@code x} only selects the positions. */
    @Override public boolean selectsWith(int i) { return i == 0; }
    @Override public String attributes() { return window.attributes(); }

    /** The transpose with respect to {@code c}: the cotangent gathered at the same arg-maxes. */
    public WindowMaxGather transposed() { return new WindowMaxGather(window); }
}
