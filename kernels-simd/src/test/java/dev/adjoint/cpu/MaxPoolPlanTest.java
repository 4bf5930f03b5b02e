package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The max-pool kernels (window_max, its tangent gather and gradient scatter) against the float64
 * interpreter, f32 and f64, on odd sizes: channels 1, 3, 6, 17, 24, 33, 47 (below, at and across the vector
 * width, and the scalar path), spatial sizes that are not multiples of the stride, padding,
 * dilation, overlapping windows, NCHW and 1-D/3-D windows, ties and NaNs; and 1 against 2 threads,
 * bitwise.
 */
class MaxPoolPlanTest {
    private static final ThreadPool TWO = new ThreadPool(2);

    @AfterAll static void close() { TWO.close(); }

    /** A window on the spatial axes of an NHWC-like shape, identity on the first and last. */
    private static Window nhwc(int[] k, int[] s, int[] lo, int[] hi, int[] d) {
        int r = k.length + 2;
        int[] kk = new int[r], ss = new int[r], ll = new int[r], hh = new int[r], dd = new int[r];
        for (int a = 0; a < r; a++) {
            kk[a] = ss[a] = dd[a] = 1;
        }
        for (int a = 0; a < k.length; a++) {
            kk[a + 1] = k[a];
            ss[a + 1] = s[a];
            ll[a + 1] = lo[a];
            hh[a + 1] = hi[a];
            dd[a + 1] = d[a];
        }
        return new Window(Ints.of(kk), Ints.of(ss), Ints.of(ll), Ints.of(hh), Ints.of(dd));
    }

    private static int[] a(int... v) { return v; }

    /** The 2-D windows tried on every channel count: plain, overlapping with padding, dilated with uneven padding, and ceil-mode-like padHi. */
    private static List<Window> windows2d() {
        return List.of(
                nhwc(a(2, 2), a(2, 2), a(0, 0), a(0, 0), a(1, 1)),
                nhwc(a(3, 3), a(2, 2), a(1, 1), a(1, 1), a(1, 1)),
                nhwc(a(3, 2), a(1, 2), a(1, 0), a(2, 1), a(2, 1)),
                nhwc(a(2, 3), a(2, 3), a(0, 0), a(1, 2), a(1, 1)));
    }

    @Test void nhwcOddSizesMatchTheInterpreter() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (DType t : List.of(DType.F32, DType.F64)) {
            for (int c : new int[] {1, 3, 6, 17, 24, 33, 47}) {
                for (Window w : windows2d()) check(t, Shape.of(2, 7, 9, c), w, rnd, Values.RANDOM);
            }
        }
    }

    @Test void tiesGoToTheFirstMaximumAndNaNsPropagate() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (DType t : List.of(DType.F32, DType.F64)) {
            for (int c : new int[] {1, 6, 17}) {
                for (Window w : windows2d()) {
                    check(t, Shape.of(2, 6, 7, c), w, rnd, Values.TIES);
                    check(t, Shape.of(2, 6, 7, c), w, rnd, Values.NANS);
                }
            }
        }
    }

    @Test void channelsFirstOneAndThreeDimensionalWindows() {
        SplittableRandom rnd = new SplittableRandom(9);
        Window nchw = new Window(Ints.of(1, 1, 3, 2), Ints.of(1, 1, 2, 2), Ints.of(0, 0, 1, 0), Ints.of(0, 0, 1, 1), Ints.of(1, 1, 1, 1));
        Window oneD = new Window(Ints.of(1, 3, 1), Ints.of(1, 2, 1), Ints.of(0, 1, 0), Ints.of(0, 0, 0), Ints.of(1, 2, 1));
        Window threeD = nhwc(a(2, 3, 2), a(2, 1, 2), a(0, 1, 1), a(1, 1, 0), a(1, 1, 1));
        // Identity axes between windowed ones (an outer axis with a stride of its own): [N, H, C, W].
        Window middle = new Window(Ints.of(1, 2, 1, 3), Ints.of(1, 2, 1, 1), Ints.of(0, 0, 0, 1), Ints.of(0, 1, 0, 1), Ints.of(1, 1, 1, 1));
        for (DType t : List.of(DType.F32, DType.F64)) {
            check(t, Shape.of(2, 5, 7, 6), nchw, rnd, Values.RANDOM);
            check(t, Shape.of(3, 11, 5), oneD, rnd, Values.RANDOM);
            check(t, Shape.of(2, 5, 4, 7, 6), threeD, rnd, Values.RANDOM);
            check(t, Shape.of(2, 5, 3, 7), middle, rnd, Values.TIES);
        }
    }

    @Test void lenetShapes() {
        SplittableRandom rnd = new SplittableRandom(10);
        Window w = nhwc(a(2, 2), a(2, 2), a(0, 0), a(0, 0), a(1, 1));
        check(DType.F32, Shape.of(8, 28, 28, 6), w, rnd, Values.RANDOM);
        check(DType.F32, Shape.of(8, 10, 10, 16), w, rnd, Values.RANDOM);
    }

    private enum Values { RANDOM, TIES, NANS }

    private static NdArray values(SplittableRandom rnd, DType t, Shape s, Values kind) {
        NdArray v = Oracle.random(rnd, t, s, -2, 2);
        double[] d = v.data();
        for (int i = 0; i < d.length; i++) {
            if (kind == Values.TIES) d[i] = Math.floor(d[i]); // -2..1: most windows tie
            if (kind == Values.NANS && rnd.nextInt(7) == 0) d[i] = Double.NaN;
        }
        return new NdArray(t, s, d);
    }

    private static void check(DType t, Shape xs, Window w, SplittableRandom rnd, Values kind) {
        Graph g = new Graph();
        Tensor x = g.input("x", t, xs.dims());
        Tensor y = g.add(new WindowMax(w), x);
        Tensor tan = g.input("t", t, xs.dims()), ct = g.input("c", t, y.shape().dims());
        Tensor gathered = g.add(new WindowMaxGather(w), x, tan), scattered = g.add(new WindowMaxScatter(w), x, ct);
        Map<Tensor, NdArray> feeds = Map.of(x, values(rnd, t, xs, kind), tan, Oracle.random(rnd, t, xs, -1, 1),
                ct, Oracle.random(rnd, t, y.shape(), -1, 1));
        List<Tensor> outs = List.of(y, gathered, scattered);
        String what = t + " " + xs + " " + w.attributes() + " " + kind;
        // The max and the gather pick values: exact. The scatter sums overlapping windows in f32: rounding.
        List<NdArray> expected = Interpreter.run(g, feeds, outs);
        Plan one = Oracle.run(outs, feeds, WorkSplitter.SERIAL), two = Oracle.run(outs, feeds, TWO);
        double tol = t == DType.F32 ? 1e-6 : 1e-13;
        for (int o = 0; o < outs.size(); o++) {
            double[] e = expected.get(o).data(), p = one.outputAsDoubles(o);
            for (int i = 0; i < e.length; i++) {
                boolean same = Double.isNaN(e[i]) ? Double.isNaN(p[i]) : e[i] == p[i] || Math.abs(e[i] - p[i]) <= tol * (1 + Math.abs(e[i]));
                if (!same) throw new AssertionError(outs.get(o) + " element " + i + ": interpreter " + e[i] + ", plan " + p[i] + "; " + what);
            }
        }
        for (int o = 0; o < outs.size(); o++) {
            double[] p = one.outputAsDoubles(o), q = two.outputAsDoubles(o);
            assertEquals(p.length, q.length);
            for (int i = 0; i < p.length; i++) {
                assertEquals(Double.doubleToRawLongBits(p[i]), Double.doubleToRawLongBits(q[i]),
                        "output " + o + " element " + i + " differs between 1 and 2 threads: " + what);
            }
        }
    }
}
