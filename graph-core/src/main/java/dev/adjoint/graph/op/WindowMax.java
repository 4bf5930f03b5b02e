package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code window_max(x, window)}: max pooling over every axis of {@code x} (XLA's
 * {@code reduce_window} with max, JAX's {@code reduce_window_max_p}). Output position {@code o}
 * holds the maximum of the taps of window {@code o} that lie inside {@code x} (see {@link Window});
 * padded taps are negative infinity, so they never win, and a window of padding only is
 * {@code -inf}. A NaN tap makes the window NaN (as PyTorch's max pooling propagates it).
 *
 * <p>Not linear. Its JVP is {@link WindowMaxGather} of the tangent at each window's arg-max of
 * {@code x} (the first maximum in the window's scan order, the first NaN if there is one), and
 * through that op's transpose, {@link WindowMaxScatter}, its gradient is one scatter-add.
 */
public record WindowMax(Window window) implements Op {
    @Override public String name() { return "window_max"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) { return window.output(name(), inputs.get(0)); }
    @Override public DType type(List<DType> inputs) { return Rules.requireFloat(name(), "x", inputs.get(0)); }
    @Override public String attributes() { return window.attributes(); }
}
