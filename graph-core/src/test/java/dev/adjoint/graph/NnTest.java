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

    // ---- op set v2: activations ----

    private double[] apply(java.util.function.Function<Tensor, Tensor> f, double[] xv) {
        Graph h = new Graph();
        Tensor x = h.input("x", xv.length);
        return eval(f.apply(x), x, xv);
    }

    @Test void activationsAgainstFloat64References() {
        double[] xv = {-30, -5, -2, -1, -0.3, 0, 1e-9, 0.5, 1, 2, 7, 30};
        double[] gelu = new double[xv.length], tanhForm = new double[xv.length], silu = new double[xv.length],
                leaky = new double[xv.length], elu = new double[xv.length];
        for (int i = 0; i < xv.length; i++) {
            double x = xv[i];
            gelu[i] = 0.5 * x * (1 + Scalar.erf(x / Math.sqrt(2)));
            tanhForm[i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            silu[i] = x / (1 + Math.exp(-x));
            leaky[i] = x > 0 ? x : 0.01 * x;
            elu[i] = x > 0 ? x : 1.5 * Math.expm1(x);
        }
        assertClose(gelu, apply(Nn::gelu, xv), TOL);
        assertClose(tanhForm, apply(Nn::geluTanh, xv), TOL);
        assertClose(silu, apply(Nn::silu, xv), TOL);
        assertClose(leaky, apply(x -> Nn.leakyRelu(x, 0.01), xv), TOL);
        assertClose(elu, apply(x -> Nn.elu(x, 1.5), xv), TOL);
        // Far left, 1 + tanh(z) cancels to 0 even in float64; the tanh form keeps its relative precision there.
        double[] far = {-12, -20};
        double[] farWant = new double[2];
        for (int i = 0; i < 2; i++) {
            double z = Math.sqrt(2 / Math.PI) * (far[i] + 0.044715 * far[i] * far[i] * far[i]);
            farWant[i] = far[i] * Math.exp(2 * z) / (1 + Math.exp(2 * z)); // = x/2 (1 + tanh z)
        }
        double[] farGot = apply(Nn::geluTanh, far);
        for (int i = 0; i < 2; i++) assertEquals(farWant[i], farGot[i], 1e-12 * Math.abs(farWant[i]), "gelu_tanh(" + far[i] + ")");
        // gelu(x) = x * Phi(x): Phi(1) = 0.8413447460685429, Phi(2) = 0.9772498680518208 (normal tables).
        assertClose(new double[] {0.8413447460685429, -0.15865525393145707, 1.9544997361036416},
                apply(Nn::gelu, new double[] {1, -1, 2}), 1e-15);
    }

    @Test void softplusIsStable() {
        double[] xv = {-1000, -50, -1, 0, 1e-8, 1, 50, 1000};
        double[] want = new double[xv.length];
        for (int i = 0; i < xv.length; i++) want[i] = Math.max(xv[i], 0) + Math.log1p(Math.exp(-Math.abs(xv[i])));
        double[] got = apply(Nn::softplus, xv);
        assertClose(want, got, TOL);
        assertEquals(1000.0, got[7]);
        assertEquals(Math.exp(-50), got[1], 1e-15 * Math.exp(-50)); // log1p keeps the tiny result's precision
        assertEquals(Math.log(2), got[3], 1e-15);
    }

    // ---- op set v2: normalisation ----

    /** (x - mean) / sqrt(var + eps) over the last {@code inner} elements of each of {@code outer} rows. */
    private static double[] refNorm(double[] x, int outer, int inner, double eps) {
        double[] y = new double[x.length];
        for (int o = 0; o < outer; o++) {
            double m = 0, v = 0;
            for (int i = 0; i < inner; i++) m += x[o * inner + i] / inner;
            for (int i = 0; i < inner; i++) v += (x[o * inner + i] - m) * (x[o * inner + i] - m) / inner;
            for (int i = 0; i < inner; i++) y[o * inner + i] = (x[o * inner + i] - m) / Math.sqrt(v + eps);
        }
        return y;
    }

    @Test void layerNormOverTheLastAxes() {
        Tensor x = g.input("x", 2, 3, 4), w = g.input("w", 3, 4), b = g.input("b", 3, 4);
        double[] xv = random(rnd, 24, -2, 2), wv = random(rnd, 12, 0.5, 1.5), bv = random(rnd, 12, -1, 1);
        double[] two = refNorm(xv, 2, 12, 1e-5), want = new double[24];
        for (int i = 0; i < 24; i++) want[i] = two[i] * wv[i % 12] + bv[i % 12];
        assertClose(want, eval(Nn.layerNorm(x, w, b, 2, 1e-5), x, xv, w, wv, b, bv), TOL);
        assertClose(refNorm(xv, 6, 4, 1e-3), eval(Nn.layerNorm(x, null, null, 1, 1e-3), x, xv), TOL);
        ShapeException e = assertThrows(ShapeException.class, () -> Nn.layerNorm(x, g.input("w4", 4), null, 2, 1e-5));
        assertTrue(e.getMessage().startsWith("layer_norm: the weight must have shape [3, 4]"), e.getMessage());
        assertThrows(ShapeException.class, () -> Nn.layerNorm(x, null, null, 4, 1e-5));
    }

    @Test void batchNormTrainingStatsAndInference() {
        // x [N=3, C=2, L=4] with the channel on axis 1 (PyTorch's layout); statistics over N and L.
        Tensor x = g.input("x", 3, 2, 4), w = g.input("w", 2), b = g.input("b", 2);
        double[] xv = random(rnd, 24, -2, 2), wv = {0.7, 1.3}, bv = {0.1, -0.2};
        double[] mean = new double[2], var = new double[2];
        for (int i = 0; i < 24; i++) mean[(i / 4) % 2] += xv[i] / 12;
        for (int i = 0; i < 24; i++) var[(i / 4) % 2] += (xv[i] - mean[(i / 4) % 2]) * (xv[i] - mean[(i / 4) % 2]) / 12;
        double[] want = new double[24];
        for (int i = 0; i < 24; i++) {
            int c = (i / 4) % 2;
            want[i] = (xv[i] - mean[c]) / Math.sqrt(var[c] + 1e-5) * wv[c] + bv[c];
        }
        assertClose(want, eval(Nn.batchNorm(x, w, b, 1e-5, 1), x, xv, w, wv, b, bv), TOL);
        Nn.Moments m = Nn.batchNormStats(x, 1);
        assertClose(mean, eval(m.mean(), x, xv), TOL);
        assertClose(var, eval(m.variance(), x, xv), TOL);
        Tensor rm = g.input("rm", 2), rv = g.input("rv", 2);
        double[] rmv = {0.3, -0.4}, rvv = {2.0, 0.5}, inf = new double[24];
        for (int i = 0; i < 24; i++) {
            int c = (i / 4) % 2;
            inf[i] = (xv[i] - rmv[c]) / Math.sqrt(rvv[c] + 1e-5) * wv[c] + bv[c];
        }
        assertClose(inf, eval(Nn.batchNormInference(x, rm, rv, w, b, 1e-5, 1), x, xv, rm, rmv, rv, rvv, w, wv, b, bv), TOL);
        // Channels last (axis -1) on [N, L, C].
        Tensor xl = g.input("xl", 4, 3, 2);
        double[] xlv = random(rnd, 24, -2, 2), wantL = new double[24];
        double[] ml = new double[2], vl = new double[2];
        for (int i = 0; i < 24; i++) ml[i % 2] += xlv[i] / 12;
        for (int i = 0; i < 24; i++) vl[i % 2] += (xlv[i] - ml[i % 2]) * (xlv[i] - ml[i % 2]) / 12;
        for (int i = 0; i < 24; i++) wantL[i] = (xlv[i] - ml[i % 2]) / Math.sqrt(vl[i % 2] + 1e-5);
        assertClose(wantL, eval(Nn.batchNorm(xl, null, null, 1e-5, -1), xl, xlv), TOL);
        assertThrows(ShapeException.class, () -> Nn.batchNorm(x, g.input("w3", 3), null, 1e-5, 1));
    }

    @Test void groupNormAndRmsNorm() {
        // x [N=2, C=6, L=3], 3 groups of 2 channels: each (n, group) normalised over 2 * 3 elements.
        Tensor x = g.input("x", 2, 6, 3), w = g.input("w", 6), b = g.input("b", 6);
        double[] xv = random(rnd, 36, -2, 2), wv = random(rnd, 6, 0.5, 1.5), bv = random(rnd, 6, -1, 1);
        double[] norm = refNorm(xv, 6, 6, 1e-5), want = new double[36];
        for (int i = 0; i < 36; i++) want[i] = norm[i] * wv[(i / 3) % 6] + bv[(i / 3) % 6];
        assertClose(want, eval(Nn.groupNorm(x, 3, w, b, 1e-5, 1), x, xv, w, wv, b, bv), TOL);
        // Channels last [N, L, C]: the same numbers moved.
        Tensor xl = g.input("xl", 2, 3, 6);
        double[] xlv = new double[36];
        for (int n = 0; n < 2; n++) for (int c = 0; c < 6; c++) for (int l = 0; l < 3; l++) xlv[(n * 3 + l) * 6 + c] = xv[(n * 6 + c) * 3 + l];
        double[] gotL = eval(Nn.groupNorm(xl, 3, w, b, 1e-5, -1), xl, xlv, w, wv, b, bv);
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 6; c++) {
                for (int l = 0; l < 3; l++) assertEquals(want[(n * 6 + c) * 3 + l], gotL[(n * 3 + l) * 6 + c], 1e-12);
            }
        }
        ShapeException e = assertThrows(ShapeException.class, () -> Nn.groupNorm(x, 4, null, null, 1e-5, 1));
        assertTrue(e.getMessage().contains("groups 4 must be >= 1 and divide the 6 channels"), e.getMessage());
        // rms_norm over the last axis.
        Tensor r = g.input("r", 3, 4), rw = g.input("rw", 4);
        double[] rv = random(rnd, 12, -2, 2), rwv = random(rnd, 4, 0.5, 1.5), rwant = new double[12];
        for (int o = 0; o < 3; o++) {
            double ms = 0;
            for (int i = 0; i < 4; i++) ms += rv[o * 4 + i] * rv[o * 4 + i] / 4;
            for (int i = 0; i < 4; i++) rwant[o * 4 + i] = rv[o * 4 + i] / Math.sqrt(ms + 1e-6) * rwv[i];
        }
        assertClose(rwant, eval(Nn.rmsNorm(r, rw, 1e-6), r, rv, rw, rwv), TOL);
    }

    // ---- op set v2: attention ----

    /** softmax(q k^T * scale [+ causal mask]) v for one [T, D] x [S, D] x [S, Dv] problem at offsets. */
    private static void refAttention(double[] q, int qo, double[] k, int ko, double[] v, int vo, double[] out, int oo,
            int t, int s, int d, int dv, boolean causal, double scale) {
        for (int i = 0; i < t; i++) {
            double[] sc = new double[s];
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                double dot = 0;
                for (int e = 0; e < d; e++) dot += q[qo + i * d + e] * k[ko + j * d + e];
                sc[j] = causal && j > i ? Double.NEGATIVE_INFINITY : dot * scale;
                m = Math.max(m, sc[j]);
            }
            double z = 0;
            for (int j = 0; j < s; j++) z += Math.exp(sc[j] - m);
            for (int e = 0; e < dv; e++) {
                double acc = 0;
                for (int j = 0; j < s; j++) acc += Math.exp(sc[j] - m) / z * v[vo + j * dv + e];
                out[oo + i * dv + e] = acc;
            }
        }
    }

    @Test void scaledDotProductAttentionPlainAndCausal() {
        int bt = 2, t = 4, s = 4, d = 3, dv = 5;
        Tensor q = g.input("q", bt, t, d), k = g.input("k", bt, s, d), v = g.input("v", bt, s, dv);
        double[] qv = random(rnd, bt * t * d, -2, 2), kv = random(rnd, bt * s * d, -2, 2), vv = random(rnd, bt * s * dv, -2, 2);
        for (boolean causal : new boolean[] {false, true}) {
            double[] want = new double[bt * t * dv];
            for (int b0 = 0; b0 < bt; b0++) {
                refAttention(qv, b0 * t * d, kv, b0 * s * d, vv, b0 * s * dv, want, b0 * t * dv, t, s, d, dv, causal, 1 / Math.sqrt(d));
            }
            double[] got = eval(Nn.scaledDotProductAttention(q, k, v, causal, Double.NaN), q, qv, k, kv, v, vv);
            assertClose(want, got, 1e-12);
            for (double x : got) assertTrue(Double.isFinite(x));
        }
        // Causal: the first query sees only the first key, so its output is v's first row.
        double[] got = eval(Nn.scaledDotProductAttention(q, k, v, true, 0.7), q, qv, k, kv, v, vv);
        for (int e = 0; e < dv; e++) assertEquals(vv[e], got[e], 1e-12);
        assertThrows(ShapeException.class, () -> Nn.scaledDotProductAttention(q, g.input("k2", bt, s, d + 1), v, false, 1));
    }

    @Test void multiHeadAttentionMatchesPerHeadReference() {
        int b = 2, t = 3, d = 4, h = 2, dh = 2;
        Tensor x = g.input("x", b, t, d);
        Tensor[] w = new Tensor[4];
        double[][] wv = new double[4][];
        for (int i = 0; i < 4; i++) {
            w[i] = g.input("w" + i, d, d);
            wv[i] = random(rnd, d * d, -1, 1);
        }
        double[] xv = random(rnd, b * t * d, -1, 1);
        for (boolean causal : new boolean[] {false, true}) {
            double[][] p = new double[3][];
            for (int i = 0; i < 3; i++) p[i] = matmulRows(xv, b * t, d, wv[i], d);
            double[] merged = new double[b * t * d];
            for (int b0 = 0; b0 < b; b0++) {
                for (int hh = 0; hh < h; hh++) {
                    double[][] heads = new double[3][t * dh];
                    for (int i = 0; i < 3; i++) {
                        for (int tt = 0; tt < t; tt++) {
                            for (int e = 0; e < dh; e++) heads[i][tt * dh + e] = p[i][(b0 * t + tt) * d + hh * dh + e];
                        }
                    }
                    double[] o = new double[t * dh];
                    refAttention(heads[0], 0, heads[1], 0, heads[2], 0, o, 0, t, t, dh, dh, causal, 1 / Math.sqrt(dh));
                    for (int tt = 0; tt < t; tt++) for (int e = 0; e < dh; e++) merged[(b0 * t + tt) * d + hh * dh + e] = o[tt * dh + e];
                }
            }
            double[] want = matmulRows(merged, b * t, d, wv[3], d);
            Tensor y = Nn.multiHeadAttention(x, w[0], w[1], w[2], w[3], h, causal);
            assertEquals(Shape.of(b, t, d), y.shape());
            assertClose(want, eval(y, x, xv, w[0], wv[0], w[1], wv[1], w[2], wv[2], w[3], wv[3]), 1e-12);
        }
        assertThrows(ShapeException.class, () -> Nn.multiHeadAttention(x, w[0], w[1], w[2], w[3], 3, false));
    }

    private static double[] matmulRows(double[] a, int rows, int inner, double[] b, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int k = 0; k < inner; k++) s += a[i * inner + k] * b[k * cols + j];
                out[i * cols + j] = s;
            }
        }
        return out;
    }

    // ---- op set v2: indexing ----

    @Test void embeddingAndOneHot() {
        Tensor w = g.input("w", 5, 3), ids = g.input("ids", DType.I32, 2, 2);
        double[] wv = random(rnd, 15, -1, 1), idv = {4, 0, 4, 2};
        double[] want = new double[12];
        for (int i = 0; i < 4; i++) System.arraycopy(wv, (int) idv[i] * 3, want, i * 3, 3);
        Tensor e = Nn.embedding(ids, w);
        assertEquals(Shape.of(2, 2, 3), e.shape());
        assertClose(want, eval(e, w, wv, ids, idv), 0);
        assertThrows(ShapeException.class, () -> Nn.embedding(g.input("fid", 2), w));
        Tensor labels = g.input("labels", DType.I64, 3);
        Tensor oh = Nn.oneHot(labels, 4, DType.F32);
        assertEquals(Shape.of(3, 4), oh.shape());
        assertEquals(DType.F32, oh.dtype());
        assertArrayEquals(new double[] {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0}, eval(oh, labels, new double[] {2, 0, 7}));
        assertEquals(DType.BOOL, Nn.oneHot(labels, 4, DType.BOOL).dtype());
    }

    // ---- op set v2: cross-entropy ----

    /** PyTorch's cross_entropy with ignore_index and label_smoothing, in float64. */
    private static double[] refCrossEntropy(double[] logits, int n, int c, int[] labels, int ignore, double eps) {
        double[] lsm = refSoftmax(logits, n, c, 1, true);
        double[] per = new double[n];
        for (int i = 0; i < n; i++) {
            if (labels[i] == ignore) continue;
            double smooth = 0;
            for (int j = 0; j < c; j++) smooth -= lsm[i * c + j];
            per[i] = (1 - eps) * -lsm[i * c + labels[i]] + eps / c * smooth;
        }
        return per;
    }

    @Test void crossEntropyIntegerLabelsIgnoreIndexAndSmoothing() {
        int n = 5, c = 4;
        Tensor logits = g.input("logits", n, c);
        double[] lv = random(rnd, n * c, -3, 3);
        int[] y = {1, 3, -100, 0, 2};
        double[] yd = {1, 3, -100, 0, 2};
        for (DType t : new DType[] {DType.I32, DType.I64, DType.F32}) {
            Tensor labels = g.input("labels_" + t, t, n);
            for (double eps : new double[] {0, 0.1, 1}) {
                double[] per = refCrossEntropy(lv, n, c, y, -100, eps);
                double sum = 0;
                for (double p : per) sum += p;
                assertClose(per, eval(Nn.crossEntropy(logits, labels, Nn.Reduction.NONE, -100, eps), logits, lv, labels, yd), TOL);
                assertClose(new double[] {sum}, eval(Nn.crossEntropy(logits, labels, Nn.Reduction.SUM, -100, eps), logits, lv, labels, yd), TOL);
                // The ignored row is left out of the mean's denominator: 4 rows count.
                assertClose(new double[] {sum / 4}, eval(Nn.crossEntropy(logits, labels, Nn.Reduction.MEAN, -100, eps), logits, lv, labels, yd), TOL);
            }
            // Another ignore index: label 3 rows are ignored, -100 is then out of range and would pick nothing.
            double[] per = refCrossEntropy(lv, n, c, new int[] {1, 3, 3, 0, 2}, 3, 0);
            assertClose(per, eval(Nn.crossEntropy(logits, labels, Nn.Reduction.NONE, 3, 0), logits, lv, labels,
                    new double[] {1, 3, 3, 0, 2}), TOL);
        }
        assertThrows(ShapeException.class, () -> Nn.crossEntropy(logits, g.input("bl", DType.BOOL, n), Nn.Reduction.MEAN, -100, 0));
        assertThrows(ShapeException.class, () -> Nn.crossEntropy(logits, g.input("l2", DType.I32, n), Nn.Reduction.MEAN, -100, 1.5));
    }

    @Test void crossEntropyWithMinusInfinityLogits() {
        // PyTorch: cross_entropy([[0, -inf]], [0]) = 0.0; a -inf logit off the label contributes 0.
        Tensor logits = g.input("logits", 2, 3), labels = g.input("labels", DType.I64, 2);
        double ninf = Double.NEGATIVE_INFINITY;
        double[] lv = {0, ninf, ninf, 1, 2, ninf};
        double[] per = eval(Nn.crossEntropy(logits, labels, Nn.Reduction.NONE), logits, lv, labels, new double[] {0, 1});
        assertEquals(0.0, per[0], 0.0); // -0.0 counts: the negated log-probability of 1
        assertEquals(Math.log(1 + Math.exp(-1)), per[1], 1e-15);
        Tensor two = g.input("two", 1, 2);
        Tensor l1 = g.input("l1", DType.I32, 1);
        assertEquals(0.0, eval(Nn.crossEntropy(two, l1), two, new double[] {0, ninf}, l1, new double[] {0})[0], 0.0);
    }

    @Test void logSumExpAndSoftmaxOfAllMinusInfinity() {
        Tensor x = g.input("x", 2, 3);
        double ninf = Double.NEGATIVE_INFINITY;
        double[] xv = {ninf, ninf, ninf, 0, ninf, 1};
        double[] lse = eval(Nn.logSumExp(x, 1), x, xv);
        assertEquals(ninf, lse[0]);
        assertEquals(Math.log(1 + Math.E), lse[1], 1e-15);
        assertEquals(ninf, eval(Nn.logSumExp(x), x, new double[] {ninf, ninf, ninf, ninf, ninf, ninf})[0]);
        // +inf gives +inf, not NaN.
        assertEquals(Double.POSITIVE_INFINITY, eval(Nn.logSumExp(x, 1), x, new double[] {Double.POSITIVE_INFINITY, 0, 1, 0, 0, 0})[0]);
        double[] sm = eval(Nn.softmax(x, 1), x, xv);
        assertEquals(0.0, sm[4]);
        assertEquals(1 / (1 + Math.E), sm[3], 1e-15);
        double[] lsm = eval(Nn.logSoftmax(x, 1), x, xv);
        assertEquals(ninf, lsm[4]);
        assertEquals(-Math.log(1 + Math.E), lsm[3], 1e-15);
    }
}
