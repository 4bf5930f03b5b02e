package dev.adjoint.graph.op;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.pass.Pipeline;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** window_max and its arg-max gather and scatter in the interpreter: against the old composite, ties, NaNs, shape and type errors, layout sinking. */
class WindowMaxTest {

    /** The composite Nn.maxPool was before the primitive: the max of the window's strided slices of the input padded with -inf through a select. */
    static Tensor composite(Tensor x, int[] window, int[] strides, int[] padLo, int[] padHi) {
        int r = window.length;
        int[] lo = new int[r + 2], hi = new int[r + 2], out = new int[r];
        System.arraycopy(padLo, 0, lo, 1, r);
        System.arraycopy(padHi, 0, hi, 1, r);
        Graph g = x.graph();
        Tensor mask = g.fill(1.0, DType.BOOL, x.shape().dims()).pad(lo, hi);
        Tensor xp = mask.select(x.pad(lo, hi), g.constant(Double.NEGATIVE_INFINITY, x.dtype()));
        for (int a = 0; a < r; a++) out[a] = (xp.dim(a + 1) - window[a]) / strides[a] + 1;
        Tensor acc = null;
        int n = 1;
        for (int k : window) n *= k;
        for (int i = 0; i < n; i++) {
            int[] t = new int[r];
            for (int a = r - 1, rem = i; a >= 0; a--) {
                t[a] = rem % window[a];
                rem /= window[a];
            }
            int[] start = new int[r + 2], stop = xp.shape().dims(), step = new int[r + 2];
            Arrays.fill(step, 1);
            for (int a = 0; a < r; a++) {
                start[a + 1] = t[a];
                stop[a + 1] = t[a] + (out[a] - 1) * strides[a] + 1;
                step[a + 1] = strides[a];
            }
            Tensor s = xp.slice(start, stop, step);
            acc = acc == null ? s : acc.max(s);
        }
        return acc;
    }

    private static NdArray random(Random rnd, Shape s) {
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextGaussian(); // continuous: no ties
        return NdArray.of(s, v);
    }

    @Test void matchesTheOldCompositeOnRandomData() {
        Random rnd = new Random(1);
        int[][][] cases = { // window, strides, padLo, padHi
            {{2, 2}, {2, 2}, {0, 0}, {0, 0}}, {{3, 3}, {2, 2}, {1, 1}, {1, 1}}, {{3, 2}, {1, 2}, {2, 0}, {1, 1}}, {{2, 3}, {3, 1}, {0, 1}, {1, 0}},
        };
        for (int[][] c : cases) {
            Graph g = new Graph();
            Tensor x = g.input("x", DType.F64, 2, 7, 8, 3);
            Tensor y = Nn.maxPool(x, c[0], c[1], c[2], c[3]), old = composite(x, c[0], c[1], c[2], c[3]);
            assertTrue(y.op() instanceof WindowMax, "Nn.maxPool builds the primitive: " + y.op());
            assertEquals(old.shape(), y.shape());
            NdArray xv = random(rnd, x.shape());
            List<NdArray> r = Interpreter.run(g, Map.of(x, xv), List.of(y, old));
            assertArrayEquals(r.get(1).data(), r.get(0).data(), Arrays.deepToString(c));
        }
    }

    @Test void tiesGoToTheFirstMaximumInScanOrderAndPaddingNeverWins() {
        Graph g = new Graph();
        // All equal: every window's arg-max is its first tap inside x. Window 2x2, stride 1, padding 1 before:
        // window (0, 0) covers padding and x[0, 0] only, so x[0, 0] wins although padding comes first in scan order.
        Tensor x = g.input("x", DType.F64, 1, 3, 3, 1);
        Window w = new Window(Ints.of(1, 2, 2, 1), Ints.of(1, 1, 1, 1), Ints.of(0, 1, 1, 0), Ints.of(0, 0, 0, 0), Ints.of(1, 1, 1, 1));
        Tensor y = g.add(new WindowMax(w), x);
        assertEquals(Shape.of(1, 3, 3, 1), y.shape());
        Tensor c = g.input("c", DType.F64, 1, 3, 3, 1);
        Tensor dx = g.add(new WindowMaxScatter(w), x, c);
        double[] ones = new double[9];
        Arrays.fill(ones, 1);
        NdArray xv = NdArray.of(x.shape(), new double[9]), cv = NdArray.of(c.shape(), ones);
        double[] got = Interpreter.run(g, Map.of(x, xv, c, cv), dx).data();
        // Window (i, j) starts at (i-1, j-1); its first tap inside x is (max(i-1, 0), max(j-1, 0)).
        double[] expected = new double[9];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) expected[Math.max(i - 1, 0) * 3 + Math.max(j - 1, 0)]++;
        assertArrayEquals(expected, got);
        // A later strictly greater value does win.
        double[] xs = new double[9];
        xs[4] = 1;
        got = Interpreter.run(g, Map.of(x, NdArray.of(x.shape(), xs), c, cv), dx).data();
        assertEquals(4, got[4]); // the four windows that hold (1, 1)
        assertEquals(3, got[0]); // windows (0, 0), (0, 1), (1, 0): (0, 0) is their first tap inside x
        assertEquals(9, Arrays.stream(got).sum()); // every window adds its cotangent once
    }

    @Test void aNaNMakesTheWindowNaNAndTakesTheGradient() {
        Graph g = new Graph();
        Tensor x = g.input("x", DType.F64, 1, 2, 2, 1), t = g.input("t", DType.F64, 1, 2, 2, 1);
        Window w = Window.of(new int[] {1, 2, 2, 1}, new int[] {1, 2, 2, 1});
        Tensor y = g.add(new WindowMax(w), x), gt = g.add(new WindowMaxGather(w), x, t);
        NdArray xv = NdArray.of(x.shape(), new double[] {5, Double.NaN, 7, Double.NaN}), tv = NdArray.of(t.shape(), new double[] {1, 2, 3, 4});
        List<NdArray> r = Interpreter.run(g, Map.of(x, xv, t, tv), List.of(y, gt));
        assertTrue(Double.isNaN(r.get(0).data()[0]));
        assertEquals(2, r.get(1).data()[0], "the first NaN is the arg-max");
    }

    @Test void dilatedWindowsReadEveryDthPosition() {
        Graph g = new Graph();
        Tensor x = g.input("x", DType.F64, 1, 7);
        Window w = new Window(Ints.of(1, 3), Ints.of(1, 2), Ints.of(0, 0), Ints.of(0, 0), Ints.of(1, 2));
        Tensor y = g.add(new WindowMax(w), x);
        assertEquals(Shape.of(1, 2), y.shape()); // extent 5: windows at 0 and 2
        double[] got = Interpreter.run(g, Map.of(x, NdArray.of(x.shape(), new double[] {1, 9, 2, 9, 3, 9, 0})), y).data();
        assertArrayEquals(new double[] {3, 3}, got); // taps {0, 2, 4} and {2, 4, 6}: the 9s are never read
    }

    @Test void errorsNameTheOpTheAxisAndTheAttribute() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 5, 5, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> Nn.maxPool(x, Window.of(new int[] {1, 2, 2}, new int[] {1, 2, 2})));
        assertTrue(e.getMessage().contains("window_max") && e.getMessage().contains("rank 4"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Nn.maxPool(x, new int[] {6, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0}));
        assertTrue(e.getMessage().contains("max_pool") && e.getMessage().contains("axis 0"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Nn.maxPool(x, new int[] {3, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0},
                new int[] {3, 1}));
        assertTrue(e.getMessage().contains("window_max") && e.getMessage().contains("axis 1") && e.getMessage().contains("dilation 3"),
                e.getMessage());
        assertTrue(e.getMessage().contains("WindowMaxTest.java"), "at the user's line: " + e.getMessage());
        e = assertThrows(ShapeException.class, () -> new Window(Ints.of(1, 0), Ints.of(1, 1), Ints.of(0, 0), Ints.of(0, 0), Ints.of(1, 1)));
        assertTrue(e.getMessage().contains("size"), e.getMessage());
        Window w = Window.of(new int[] {1, 2, 2, 1}, new int[] {1, 2, 2, 1});
        e = assertThrows(ShapeException.class, () -> g.add(new WindowMaxGather(w), x, g.input("t", 2, 5, 5, 4)));
        assertTrue(e.getMessage().contains("window_max_gather") && e.getMessage().contains("[2, 5, 5, 4]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> g.add(new WindowMaxScatter(w), x, g.input("c", 2, 3, 3, 3)));
        assertTrue(e.getMessage().contains("window_max_scatter") && e.getMessage().contains("[2, 2, 2, 3]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Nn.maxPool(g.input("i", DType.I32, 2, 4, 4, 1), w));
        assertTrue(e.getMessage().contains("window_max") && e.getMessage().contains("float"), e.getMessage());
    }

    @Test void theLayoutPassRunsAChannelsFirstPoolChannelsLast() {
        Graph g = new Graph();
        Tensor x = g.input("x", DType.F64, 2, 6, 7, 3);             // NHWC
        Tensor nchw = x.transpose(0, 3, 1, 2);
        Window w = new Window(Ints.of(1, 1, 3, 2), Ints.of(1, 1, 2, 2), Ints.of(0, 0, 1, 0), Ints.of(0, 0, 1, 1), Ints.of(1, 1, 1, 2));
        Tensor y = Nn.maxPool(nchw, w).neg();
        var r = Pipeline.O2.run(List.of(y), Pipeline.Options.checked()).rewritten();
        Tensor out = r.outputs().get(0);
        // The transpose went past the pool (and the neg): the pool now reads x itself.
        boolean pooledNhwc = r.graph().nodes().stream().anyMatch(n -> n.op() instanceof WindowMax && n.inputs().get(0) == r.input(x).id());
        assertTrue(pooledNhwc, r.graph().toString());
        NdArray xv = random(new Random(3), x.shape());
        assertArrayEquals(Interpreter.run(g, Map.of(x, xv), y).data(),
                Interpreter.run(r.graph(), Map.of(r.input(x), xv), out).data());
    }
}
