package dev.adjoint.graph.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The op records' transposed attributes map the output shape back to the input shape (the
 * values are proven in autodiff's dot-product tests; here the shapes, identities and errors).
 */
class TransposedAttributesTest {
    private final Random rnd = new Random(7);

    private int r(int lo, int hi) { return lo + rnd.nextInt(hi - lo + 1); }

    private static Shape through(List<? extends Op> ops, Shape s) {
        for (Op o : ops) s = o.infer(List.of(s));
        return s;
    }

    @Test void padAndSliceTransposesRestoreTheInputShape() {
        int checked = 0;
        for (int trial = 0; trial < 500; trial++) {
            int rank = r(1, 3);
            int[] d = new int[rank], lo = new int[rank], hi = new int[rank], in = new int[rank];
            int[] start = new int[rank], stop = new int[rank], step = new int[rank];
            for (int a = 0; a < rank; a++) {
                d[a] = r(0, 5);
                lo[a] = r(-2, 2);
                hi[a] = r(-2, 2);
                in[a] = r(0, 2);
                start[a] = r(0, d[a]);
                stop[a] = r(start[a], d[a]);
                step[a] = r(1, 3);
            }
            Shape x = Shape.of(d);
            Slice s = new Slice(Ints.of(start), Ints.of(stop), Ints.of(step));
            assertEquals(x, s.transposed(x).infer(List.of(s.infer(List.of(x)))));
            Pad p = new Pad(Ints.of(lo), Ints.of(hi), Ints.of(in));
            Shape y;
            try {
                y = p.infer(List.of(x));
            } catch (ShapeException e) {
                continue;
            }
            assertEquals(x, through(p.transposed(x).ops(), y), "pad " + p.attributes() + " of " + x);
            checked++;
        }
        assertTrue(checked > 200, "pads checked: " + checked);
        Shape x = Shape.of(2, 3);
        assertTrue(new Pad(Ints.of(0, 0), Ints.of(0, 0), Ints.of(0, 0)).transposed(x).ops().isEmpty(), "the identity pad's transpose does nothing");
        assertEquals(null, new Pad(Ints.of(1, 0), Ints.of(0, 2), Ints.of(0, 1)).transposed(x).uncrop(), "nothing cropped, nothing to uncrop");
    }

    @Test void convGradientsHaveTheOperandShapes() {
        int checked = 0;
        for (int trial = 0; trial < 400; trial++) {
            int sp = r(1, 2), groups = r(1, 3), cin = groups * r(1, 2), cout = groups * r(1, 2);
            int[] xs = new int[sp + 2], ks = new int[sp + 2];
            int[] st = new int[sp], lo = new int[sp], hi = new int[sp], ad = new int[sp], rd = new int[sp];
            xs[0] = r(1, 2);
            xs[sp + 1] = cin;
            ks[sp] = cin / groups;
            ks[sp + 1] = cout;
            for (int a = 0; a < sp; a++) {
                xs[a + 1] = r(1, 6);
                ks[a] = r(1, 3);
                st[a] = r(1, 3);
                lo[a] = r(-1, 2);
                hi[a] = r(-1, 2);
                ad[a] = r(1, 2);
                rd[a] = r(1, 2);
            }
            Conv c = new Conv(Ints.of(st), Ints.of(lo), Ints.of(hi), Ints.of(ad), Ints.of(rd), groups);
            Shape x = Shape.of(xs), k = Shape.of(ks), y;
            try {
                y = c.infer(List.of(x, k));
            } catch (ShapeException e) {
                continue;
            }
            if (y.size() == 0) continue;
            Conv.Transposed dx = c.inputGradient(x, k, y), dk = c.kernelGradient(x, k, y);
            Shape gx = through(dx.out().ops(), dx.conv().infer(List.of(through(dx.lhs().ops(), y), through(dx.rhs().ops(), k))));
            Shape gk = through(dk.out().ops(), dk.conv().infer(List.of(through(dk.lhs().ops(), x), through(dk.rhs().ops(), y))));
            assertEquals(x, gx, "input gradient of conv " + c.attributes() + " x" + x + " k" + k);
            assertEquals(k, gk, "kernel gradient of conv " + c.attributes() + " x" + x + " k" + k);
            checked++;
        }
        assertTrue(checked > 150, "convs checked: " + checked);
    }

    @Test void relayoutChecksItsSteps() {
        Shape s = Shape.of(2, 3);
        assertTrue(Relayout.identity(s).isIdentity());
        assertEquals(1, Relayout.transpose(s, Ints.of(1, 0)).ops().size());
        ShapeException e = assertThrows(ShapeException.class,
                () -> new Relayout(s, Shape.of(7), Ints.of(0), Shape.of(7), Ints.of()));
        assertTrue(e.getMessage().contains("differ in size"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new Relayout(s, s, Ints.of(0, 0), s, Ints.of()));
        assertTrue(e.getMessage().contains("not a permutation"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new Relayout(s, s, Ints.of(0, 1), s, Ints.of(2)));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }
}
