package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code pad(x, lo, hi, interior)} with zeros (XLA semantics): {@code interior[a]} zeros between
 * neighbours along axis {@code a}, then {@code lo[a]} / {@code hi[a]} zeros before / after; a
 * negative {@code lo} or {@code hi} crops. Dilation is a pad with interior {@code d - 1}. Its
 * transpose is a slice.
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
}
