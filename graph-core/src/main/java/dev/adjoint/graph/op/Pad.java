package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pad(x, lo, hi, interior)} with zeros (XLA semantics): {@code interior[a]} zeros between
 * neighbours along axis {@code a}, then {@code lo[a]} / {@code hi[a]} zeros before / after; a
 * negative {@code lo} or {@code hi} crops. Dilation is a pad with interior {@code d - 1}. Its
 * transpose is a slice (after undoing any crop): {@link #transposed(Shape)}.
 */
public record Pad(Ints lo, Ints hi, Ints interior) implements LinearOp {
    /** Validates lengths and interior padding. */
    public Pad {
        if (lo.size() != hi.size() || lo.size() != interior.size()) {
            throw Rules.error("pad: attributes lo " + lo + ", hi " + hi + " and interior " + interior
                    + " must have one entry per axis each");
        }
        Rules.requireAtLeast("pad", "interior", interior, 0);
    }
    @Override public String name() { return "pad"; }
    @Override public int arity() { return 1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0);
        Rules.requireLength(name(), "lo", lo, x.rank());
        int[] out = new int[x.rank()];
        for (int a = 0; a < out.length; a++) {
            long n = (long) lo.get(a) + hi.get(a) + Rules.dilated(x.dim(a), interior.get(a));
            if (n < 0) {
                throw Rules.error("pad: axis " + a + " of size " + x.dim(a) + " with lo " + lo.get(a) + ", hi " + hi.get(a)
                        + ", interior " + interior.get(a) + " would have size " + n + "; cropping cannot remove more than the axis holds");
            }
            if (n > Integer.MAX_VALUE) throw Rules.error("pad: axis " + a + " would have size " + n + ", too large");
            out[a] = (int) n;
        }
        return Shape.of(out);
    }
    @Override public DType type(List<DType> inputs) { return inputs.get(0); }
    @Override public String attributes() {
        return "lo=" + lo + " hi=" + hi + (interior.all(0) ? "" : " interior=" + interior);
    }

    /**
     * The transpose of a pad, as primitives applied to the cotangent in order: {@code uncrop}, a
     * pad with the cropped amounts (the negated negative lo/hi) so that every dilated position
     * exists again, then {@code pick}, the strided slice of the input's positions. Either is
     * {@code null} when it would change nothing.
     */
    public record Transposed(Pad uncrop, Slice pick) {
        /** The primitives to apply, in order (empty when the pad was the identity). */
        public List<LinearOp> ops() {
            List<LinearOp> out = new ArrayList<>(2);
            if (uncrop != null) out.add(uncrop);
            if (pick != null) out.add(pick);
            return out;
        }
    }

    /**
     * This pad's transpose for an input of shape {@code input}: undo the cropping, then pick the
     * input's positions with a slice starting at {@code max(lo, 0)} with step {@code interior + 1}.
     */
    public Transposed transposed(Shape input) {
        Shape out = infer(List.of(input));
        int r = input.rank();
        int[] ulo = new int[r], uhi = new int[r], start = new int[r], stop = new int[r], step = new int[r];
        boolean crop = false, trivial = true;
        for (int a = 0; a < r; a++) {
            ulo[a] = Math.max(-lo.get(a), 0);
            uhi[a] = Math.max(-hi.get(a), 0);
            crop |= ulo[a] != 0 || uhi[a] != 0;
            int n = input.dim(a);
            start[a] = Math.max(lo.get(a), 0);
            step[a] = interior.get(a) + 1;
            stop[a] = start[a] + (n == 0 ? 0 : (n - 1) * step[a] + 1);
            trivial &= start[a] == 0 && step[a] == 1 && stop[a] == out.dim(a) + ulo[a] + uhi[a];
        }
        return new Transposed(crop ? new Pad(Ints.of(ulo), Ints.of(uhi), Ints.filled(r, 0)) : null,
                trivial ? null : new Slice(Ints.of(start), Ints.of(stop), Ints.of(step)));
    }
}
