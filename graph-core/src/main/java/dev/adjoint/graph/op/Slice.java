package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code slice(x, start, stop, step)}: numpy's {@code x[start:stop:step]} on every axis with
 * {@code 0 <= start <= stop <= size} and {@code step >= 1}; a step above 1 is striding. Its
 * transpose is a pad with {@code lo = start} and {@code interior = step - 1}: {@link #transposed(Shape)}.
 */
public record Slice(Ints start, Ints stop, Ints step) implements LinearOp {
    /** Validates lengths, ordering and steps. */
    public Slice {
        if (start.size() != stop.size() || start.size() != step.size()) {
            throw Rules.error("slice: attributes start " + start + ", stop " + stop + " and step " + step
                    + " must have one entry per axis each");
        }
        Rules.requireAtLeast("slice", "start", start, 0);
        Rules.requireAtLeast("slice", "step", step, 1);
        for (int a = 0; a < start.size(); a++) {
            if (stop.get(a) < start.get(a)) {
                throw Rules.error("slice: on axis " + a + " stop " + stop.get(a) + " is before start " + start.get(a)
                        + "; need start <= stop");
            }
        }
    }
    @Override public String name() { return "slice"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0);
        Rules.requireLength(name(), "start", start, x.rank());
        int[] out = new int[x.rank()];
        for (int a = 0; a < out.length; a++) {
            if (stop.get(a) > x.dim(a)) {
                throw Rules.error("slice: on axis " + a + " stop " + stop.get(a) + " is past the end of the axis (size "
                        + x.dim(a) + "); need stop <= size");
            }
            out[a] = (int) (((long) stop.get(a) - start.get(a) + step.get(a) - 1) / step.get(a)); // long: a huge step must not overflow
        }
        return Shape.of(out);
    }
    @Override public DType type(List<DType> inputs) { return inputs.get(0); }
    @Override public String attributes() {
        return "start=" + start + " stop=" + stop + (step.all(1) ? "" : " step=" + step);
    }

    /**
     * This slice's transpose for an input of shape {@code input}: the pad that puts each element
     * back where it was taken from, zeros elsewhere: {@code lo = start}, {@code interior = step - 1},
     * and {@code hi} up to the input's size.
     */
    public Pad transposed(Shape input) {
        Shape out = infer(List.of(input));
        int r = input.rank();
        int[] lo = new int[r], hi = new int[r], in = new int[r];
        for (int a = 0; a < r; a++) {
            int m = out.dim(a), s = step.get(a);
            lo[a] = start.get(a);
            in[a] = s - 1;
            hi[a] = input.dim(a) - lo[a] - (m == 0 ? 0 : (m - 1) * s + 1);
        }
        return new Pad(Ints.of(lo), Ints.of(hi), Ints.of(in));
    }
}
