package dev.adjoint.graph;

import static dev.adjoint.graph.RefUtil.assertClose;
import static dev.adjoint.graph.RefUtil.at;
import static dev.adjoint.graph.RefUtil.eval;
import static dev.adjoint.graph.RefUtil.random;
import static dev.adjoint.graph.RefUtil.size;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every {@link Nn} composite through the interpreter against a plain-Java float64 reference. */
class NnTest {
    private static final double TOL = 1e-12;
    private final Random rnd = new Random(42);
    private final Graph g = new Graph();

    @Test void linear() {
        Tensor x = g.input("x", 3, 4), w = g.input("w", 4, 5), b = g.input("b", 5);
        double[] xv = random(rnd, 12, -1, 1), wv = random(rnd, 20, -1, 1), bv = random(rnd, 5, -1, 1);
        double[] want = new double[15];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 5; j++) {
                double s = bv[j];
                for (int k = 0; k < 4; k++) s += xv[i * 4 + k] * wv[k * 5 + j];
                want[i * 5 + j] = s;
            }
        }
        assertClose(want, eval(Nn.linear(x, w, b), x, xv, w, wv, b, bv), TOL);
        assertThrows(ShapeException.class, () -> Nn.linear(x, g.input("w2", 5, 5), b));
    }

    /** Softmax along {@code axis} of a [rows, cols] row-major array, max-subtracted in Java too. */
    private static double[] refSoftmax(double[] x, int rows, int cols, int axis, boolean log) {
        double[] out = new double[x.length];
        int outer = axis == 1 ? rows : cols, inner = axis == 1 ? cols : rows;
        for (int o = 0; o < outer; o++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < inner; i++) m = Math.max(m, x[idx(o, i, axis, cols)]);
            double s = 0;
            for (int i = 0; i < inner; i++) s += Math.exp(x[idx(o, i, axis, cols)] - m);
            for (int i = 0; i < inner; i++) {
                double z = x[idx(o, i, axis, cols)] - m;
                out[idx(o, i, axis, cols)] = log ? z - Math.log(s) : Math.exp(z) / s;
            }
        }
        return out;
    }

    private static int idx(int o, int i, int axis, int cols) { return axis == 1 ? o * cols + i : i * cols + o; }

    @Test void softmaxAndLogSoftmaxBothAxes() {
        Tensor x = g.input("x", 3, 5);
        double[] xv = random(rnd, 15, -3, 3);
        for (int axis : new int[] {0, 1}) {
            assertClose(refSoftmax(xv, 3, 5, axis, false), eval(Nn.softmax(x, axis), x, xv), TOL);
            assertClose(refSoftmax(xv, 3, 5, axis, true), eval(Nn.logSoftmax(x, axis), x, xv), TOL);
        }
        // Negative axis = last axis.
        assertClose(refSoftmax(xv, 3, 5, 1, false), eval(Nn.softmax(x, -1), x, xv), TOL);
    }

    @Test void softmaxIsStableOnExtremeInputs() {
        Tensor x = g.input("x", 2, 3);
        double[] xv = {1000, 1001, 999, -1000, -1001, -1002};
        double[] sm = eval(Nn.softmax(x, 1), x, xv), lsm = eval(Nn.logSoftmax(x, 1), x, xv);
        for (double v : sm) assertTrue(Double.isFinite(v));
        for (double v : lsm) assertTrue(Double.isFinite(v));
        assertClose(refSoftmax(xv, 2, 3, 1, false), sm, TOL);
        assertClose(refSoftmax(xv, 2, 3, 1, true), lsm, TOL);
        double[] lse = eval(Nn.logSumExp(x, 1), x, xv);
        assertClose(new double[] {1001 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), -1000 + Math.log(1 + Math.exp(-1) + Math.exp(-2))},
                lse, TOL);
    }

    @Test void logSumExpOverAxesAndAll() {
        Tensor x = g.input("x", 2, 3, 4);
        double[] xv = random(rnd, 24, -2, 2);
        double[] want = new double[3];
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int i = 0; i < 2; i++) for (int k = 0; k < 4; k++) s += Math.exp(xv[at(new int[] {2, 3, 4}, i, j, k)]);
            want[j] = Math.log(s);
        }
        Tensor r = Nn.logSumExp(x, 0, 2);
        assertEquals(Shape.of(3), r.shape());
        assertClose(want, eval(r, x, xv), TOL);
        assertEquals(Shape.of(1, 3, 1), Nn.logSumExp(x, new int[] {0, 2}, true).shape());
        double all = 0;
        for (double v : xv) all += Math.exp(v);
        Tensor ra = Nn.logSumExp(x);
        assertEquals(Shape.SCALAR, ra.shape());
        assertClose(new double[] {Math.log(all)}, eval(ra, x, xv), TOL);
    }

    @Test void crossEntropyMeanSumAndNone() {
        int n = 4, c = 5;
        Tensor logits = g.input("logits", n, c), labels = g.input("labels", n);
        double[] lv = random(rnd, n * c, -3, 3);
        double[] yv = {0, 3, 4, 3};
        double[] lsm = refSoftmax(lv, n, c, 1, true);
        double[] per = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            per[i] = -lsm[i * c + (int) yv[i]];
            sum += per[i];
        }
        assertClose(new double[] {sum / n}, eval(Nn.crossEntropy(logits, labels), logits, lv, labels, yv), TOL);
        assertClose(new double[] {sum}, eval(Nn.crossEntropy(logits, labels, Nn.Reduction.SUM), logits, lv, labels, yv), TOL);
        assertClose(per, eval(Nn.crossEntropy(logits, labels, Nn.Reduction.NONE), logits, lv, labels, yv), TOL);
        ShapeException e = assertThrows(ShapeException.class, () -> Nn.crossEntropy(logits, g.input("bad", n, 1)));
        assertTrue(e.getMessage().contains("cross_entropy") && e.getMessage().contains("[N]"), e.getMessage());
    }

    @Test void mseMeanAndSum() {
        Tensor a = g.input("a", 2, 3), b = g.input("b", 2, 3);
        double[] av = random(rnd, 6, -1, 1), bv = random(rnd, 6, -1, 1);
        double s = 0;
        for (int i = 0; i < 6; i++) s += (av[i] - bv[i]) * (av[i] - bv[i]);
        assertClose(new double[] {s / 6}, eval(Nn.mse(a, b), a, av, b, bv), TOL);
        assertClose(new double[] {s}, eval(Nn.mse(a, b, Nn.Reduction.SUM), a, av, b, bv), TOL);
        assertThrows(ShapeException.class, () -> Nn.mse(a, g.input("c", 3)));
    }

    // ---- pooling ----

    /** Reference 2-d pooling on NHWC: max (padding never wins) or average. */
    private static double[] refPool(double[] x, int[] xd, int[] k, int[] s, int[] lo, int[] hi, String mode, boolean includePad) {
        int n = xd[0], h = xd[1], w = xd[2], c = xd[3];
        int oh = (h + lo[0] + hi[0] - k[0]) / s[0] + 1, ow = (w + lo[1] + hi[1] - k[1]) / s[1] + 1;
        double[] out = new double[n * oh * ow * c];
        for (int b = 0; b < n; b++) {
            for (int y = 0; y < oh; y++) {
                for (int z = 0; z < ow; z++) {
                    for (int ch = 0; ch < c; ch++) {
                        double m = Double.NEGATIVE_INFINITY, sum = 0;
                        int cnt = 0;
                        for (int i = 0; i < k[0]; i++) {
                            for (int j = 0; j < k[1]; j++) {
                                int py = y * s[0] + i - lo[0], px = z * s[1] + j - lo[1];
                                if (py < 0 || py >= h || px < 0 || px >= w) continue;
                                double v = x[at(xd, b, py, px, ch)];
                                m = Math.max(m, v);
                                sum += v;
                                cnt++;
                            }
                        }
                        out[at(new int[] {n, oh, ow, c}, b, y, z, ch)] =
                                mode.equals("max") ? m : sum / (includePad ? k[0] * k[1] : cnt);
                    }
                }
            }
        }
        return out;
    }

    @Test void poolingWithAndWithoutPadding() {
        int[] xd = {2, 5, 6, 3};
        Tensor x = g.input("x", xd);
        double[] xv = random(rnd, size(xd), -2, 2);
        int[][][] configs = {
            {{2, 2}, {2, 2}, {0, 0}, {0, 0}},
            {{3, 3}, {2, 2}, {1, 1}, {1, 1}},
            {{3, 2}, {1, 3}, {1, 0}, {2, 1}},
            {{5, 6}, {1, 1}, {0, 0}, {0, 0}},
            {{2, 3}, {3, 2}, {1, 1}, {0, 1}},
        };
        for (int[][] cf : configs) {
            assertClose(refPool(xv, xd, cf[0], cf[1], cf[2], cf[3], "max", false),
                    eval(Nn.maxPool(x, cf[0], cf[1], cf[2], cf[3]), x, xv), TOL);
            for (boolean inc : new boolean[] {true, false}) {
                assertClose(refPool(xv, xd, cf[0], cf[1], cf[2], cf[3], "avg", inc),
                        eval(Nn.avgPool(x, cf[0], cf[1], cf[2], cf[3], inc), x, xv), TOL);
            }
        }
    }

    @Test void maxPoolPaddingNeverWinsOnNegativeInputs() {
        Tensor x = g.input("x", 1, 2, 2, 1);
        double[] xv = {-8, -7, -6, -5};
        assertArrayEquals(new double[] {-8, -7, -6, -5}, eval(Nn.maxPool(x, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {0, 0}), x, xv));
    }

    @Test void poolingNchwHelpers() {
        int[] xd = {2, 3, 5, 4};
        Tensor x = g.input("x", xd);
        double[] xv = random(rnd, size(xd), -2, 2);
        // Reference in NHWC: permute the data.
        int[] nhwc = {2, 5, 4, 3};
        double[] xl = new double[xv.length];
        for (int b = 0; b < 2; b++) for (int c = 0; c < 3; c++) for (int h = 0; h < 5; h++) for (int w = 0; w < 4; w++) {
            xl[at(nhwc, b, h, w, c)] = xv[at(xd, b, c, h, w)];
        }
        int[] k = {3, 2}, s = {2, 1}, p = {1, 1};
        double[] ref = refPool(xl, nhwc, k, s, p, p, "avg", false);
        Tensor y = Nn.avgPoolNchw(x, k, s, p, false);
        int oh = y.dim(2), ow = y.dim(3);
        double[] got = eval(y, x, xv);
        for (int b = 0; b < 2; b++) for (int c = 0; c < 3; c++) for (int h = 0; h < oh; h++) for (int w = 0; w < ow; w++) {
            assertEquals(ref[at(new int[] {2, oh, ow, 3}, b, h, w, c)], got[at(new int[] {2, 3, oh, ow}, b, c, h, w)], TOL);
        }
        assertEquals(Shape.of(2, 3, 3, 5), Nn.maxPoolNchw(x, k, s, p).shape());
    }

    @Test void poolErrorsAreClear() {
        Tensor x = g.input("x", 1, 3, 3, 1);
        ShapeException e = assertThrows(ShapeException.class,
                () -> Nn.maxPool(x, new int[] {4, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0}));
        assertTrue(e.getMessage().contains("max_pool") && e.getMessage().contains("larger than the padded input"), e.getMessage());
        assertThrows(ShapeException.class, () -> Nn.avgPool(x, new int[] {2}, new int[] {1}, new int[] {0}, true));
    }

    // ---- convolution ----

    /** Reference N-d-free 2-d conv, NHWC / HWIO, with every attribute of the primitive. */
    private static double[] refConv(double[] x, int[] xd, double[] k, int[] kd, int[] s, int[] lo, int[] hi, int[] ld, int[] rd,
            int groups, int[] outDims) {
        int n = xd[0], cin = xd[3], cout = kd[3], cgi = cin / groups, cgo = cout / groups;
        int[] o = new int[2];
        for (int a = 0; a < 2; a++) {
            int la = (xd[a + 1] - 1) * ld[a] + 1, kk = (kd[a] - 1) * rd[a] + 1;
            o[a] = Math.floorDiv(la + lo[a] + hi[a] - kk, s[a]) + 1;
        }
        outDims[0] = n;
        outDims[1] = o[0];
        outDims[2] = o[1];
        outDims[3] = cout;
        double[] out = new double[n * o[0] * o[1] * cout];
        for (int b = 0; b < n; b++) for (int y0 = 0; y0 < o[0]; y0++) for (int y1 = 0; y1 < o[1]; y1++) for (int co = 0; co < cout; co++) {
            int grp = co / cgo;
            double sum = 0;
            for (int t0 = 0; t0 < kd[0]; t0++) for (int t1 = 0; t1 < kd[1]; t1++) {
                int p0 = y0 * s[0] + t0 * rd[0] - lo[0], p1 = y1 * s[1] + t1 * rd[1] - lo[1];
                if (p0 < 0 || p1 < 0 || p0 % ld[0] != 0 || p1 % ld[1] != 0) continue;
                int i0 = p0 / ld[0], i1 = p1 / ld[1];
                if (i0 >= xd[1] || i1 >= xd[2]) continue;
                for (int c = 0; c < cgi; c++) {
                    sum += x[at(xd, b, i0, i1, grp * cgi + c)] * k[at(kd, t0, t1, c, co)];
                }
            }
            out[at(outDims, b, y0, y1, co)] = sum;
        }
        return out;
    }

    @Test void convChannelsLastAllAttributes() {
        Object[][] configs = {
            // xd, kd, strides, lo, hi, lhsDil, rhsDil, groups
            {new int[] {2, 5, 6, 3}, new int[] {3, 2, 3, 4}, new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0},
                new int[] {1, 1}, new int[] {1, 1}, 1},
            {new int[] {1, 7, 6, 4}, new int[] {3, 3, 2, 6}, new int[] {2, 3}, new int[] {1, 2}, new int[] {2, 0},
                new int[] {1, 1}, new int[] {2, 1}, 2},
            {new int[] {2, 4, 3, 2}, new int[] {2, 3, 2, 3}, new int[] {1, 2}, new int[] {-1, 2}, new int[] {1, -1},
                new int[] {2, 3}, new int[] {1, 2}, 1},
            {new int[] {1, 5, 5, 3}, new int[] {3, 3, 1, 6}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1}, new int[] {1, 1}, 3},
        };
        for (Object[] c : configs) {
            int[] xd = (int[]) c[0], kd = (int[]) c[1];
            Graph gg = new Graph();
            Tensor x = gg.input("x", xd), k = gg.input("k", kd);
            double[] xv = random(rnd, size(xd), -1, 1), kv = random(rnd, size(kd), -1, 1);
            int[] od = new int[4];
            double[] want = refConv(xv, xd, kv, kd, (int[]) c[2], (int[]) c[3], (int[]) c[4], (int[]) c[5], (int[]) c[6], (int) c[7], od);
            Tensor y = Nn.conv(x, k, (int[]) c[2], (int[]) c[3], (int[]) c[4], (int[]) c[5], (int[]) c[6], (int) c[7]);
            assertEquals(Shape.of(od), y.shape());
            assertClose(want, eval(y, x, xv, k, kv), TOL);
        }
    }

    @Test void conv2dNchwWithBiasAndGroups() {
        int[] xd = {2, 4, 6, 5}, wd = {6, 2, 3, 2};
        Tensor x = g.input("x", xd), w = g.input("w", wd), b = g.input("b", 6);
        double[] xv = random(rnd, size(xd), -1, 1), wv = random(rnd, size(wd), -1, 1), bv = random(rnd, 6, -1, 1);
        int[] s = {2, 1}, lo = {1, 0}, hi = {0, 2}, dil = {1, 2};
        Tensor y = Nn.conv2dNchw(x, w, b, s, lo, hi, dil, 2);
        // Reference straight from SCHEMA 5.7's formula on NCHW / OIHW.
        int oh = (6 + 1 - 1 * 2 - 1) / 2 + 1, ow = (5 + 2 - 2 * 1 - 1) / 1 + 1;
        assertEquals(Shape.of(2, 6, oh, ow), y.shape());
        double[] want = new double[2 * 6 * oh * ow];
        for (int n = 0; n < 2; n++) for (int o = 0; o < 6; o++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            double sum = bv[o];
            int grp = o / 3;
            for (int c = 0; c < 2; c++) for (int ki = 0; ki < 3; ki++) for (int kj = 0; kj < 2; kj++) {
                int pi = i * 2 + ki * 1 - 1, pj = j + kj * 2;
                if (pi < 0 || pi >= 6 || pj < 0 || pj >= 5) continue;
                sum += xv[at(xd, n, grp * 2 + c, pi, pj)] * wv[at(wd, o, c, ki, kj)];
            }
            want[at(new int[] {2, 6, oh, ow}, n, o, i, j)] = sum;
        }
        assertClose(want, eval(y, x, xv, w, wv, b, bv), TOL);
    }

    /** SCHEMA 5.7's scatter definition of conv_transpose2d. */
    private static double[] refConvT(double[] x, int[] xd, double[] w, int[] wd, int[] s, int[] p, int[] op, int[] d, int groups,
            int[] outDims) {
        int n = xd[0], cin = xd[1], cgo = wd[1], cout = cgo * groups, cgi = cin / groups;
        int[] full = new int[2];
        for (int a = 0; a < 2; a++) full[a] = (xd[a + 2] - 1) * s[a] + d[a] * (wd[a + 2] - 1) + 1 + op[a];
        int[] fd = {n, cout, full[0], full[1]};
        double[] f = new double[size(fd)];
        for (int b = 0; b < n; b++) for (int c = 0; c < cin; c++) for (int i = 0; i < xd[2]; i++) for (int j = 0; j < xd[3]; j++) {
            int grp = c / cgi;
            for (int o = 0; o < cgo; o++) for (int ki = 0; ki < wd[2]; ki++) for (int kj = 0; kj < wd[3]; kj++) {
                f[at(fd, b, grp * cgo + o, i * s[0] + ki * d[0], j * s[1] + kj * d[1])] +=
                        x[at(xd, b, c, i, j)] * w[at(wd, c, o, ki, kj)];
            }
        }
        int oh = full[0] - 2 * p[0], ow = full[1] - 2 * p[1];
        outDims[0] = n;
        outDims[1] = cout;
        outDims[2] = oh;
        outDims[3] = ow;
        double[] out = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++) for (int o = 0; o < cout; o++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
            out[at(outDims, b, o, i, j)] = f[at(fd, b, o, i + p[0], j + p[1])];
        }
        return out;
    }

    @Test void convTranspose2dMatchesScatterDefinition() {
        Object[][] configs = {
            // xd, wd, stride, padding, outputPadding, dilation, groups
            {new int[] {2, 3, 4, 5}, new int[] {3, 2, 3, 3}, new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0}, new int[] {1, 1}, 1},
            {new int[] {1, 4, 3, 4}, new int[] {4, 3, 3, 2}, new int[] {2, 3}, new int[] {1, 0}, new int[] {1, 2}, new int[] {1, 1}, 2},
            {new int[] {2, 2, 4, 3}, new int[] {2, 2, 2, 3}, new int[] {1, 2}, new int[] {2, 1}, new int[] {1, 0}, new int[] {2, 1}, 1},
            {new int[] {1, 4, 3, 3}, new int[] {4, 1, 3, 3}, new int[] {2, 2}, new int[] {3, 1}, new int[] {0, 1}, new int[] {2, 1}, 4},
        };
        for (Object[] c : configs) {
            int[] xd = (int[]) c[0], wd = (int[]) c[1];
            Graph gg = new Graph();
            Tensor x = gg.input("x", xd), w = gg.input("w", wd);
            double[] xv = random(rnd, size(xd), -1, 1), wv = random(rnd, size(wd), -1, 1);
            int[] od = new int[4];
            double[] want = refConvT(xv, xd, wv, wd, (int[]) c[2], (int[]) c[3], (int[]) c[4], (int[]) c[5], (int) c[6], od);
            Tensor y = Nn.convTranspose2dNchw(x, w, null, (int[]) c[2], (int[]) c[3], (int[]) c[4], (int[]) c[5], (int) c[6]);
            assertEquals(Shape.of(od), y.shape());
            assertClose(want, eval(y, x, xv, w, wv), TOL);
        }
    }

    @Test void convErrorsAreClear() {
        Tensor x = g.input("x", 1, 4, 5, 5), w = g.input("w", 4, 2, 3, 3);
        ShapeException e = assertThrows(ShapeException.class,
                () -> Nn.convTranspose2dNchw(x, w, null, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 0}, new int[] {1, 1}, 1));
        assertTrue(e.getMessage().contains("outputPadding"), e.getMessage());
        assertThrows(ShapeException.class, () -> Nn.conv2dNchw(x, g.input("w3", 2, 3, 3, 3), new int[] {1, 1}, new int[] {0, 0}));
    }
}
