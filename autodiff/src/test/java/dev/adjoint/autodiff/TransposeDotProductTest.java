package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Conv;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every linear primitive's transpose by the dot-product identity {@code <L x, c> = <x, L^T c>} on
 * random x and c, through the interpreter, over randomized (and for conv, exhaustive 1-D)
 * attribute grids. L^T comes from {@link Autodiff#vjp}, whose linearization of a linear primitive
 * is the primitive itself, so this checks exactly the transpose rule.
 */
class TransposeDotProductTest {
    private final Random rnd = new Random(2024);

    /** One linear map under test: the graph, its output, and the linear argument(s). */
    private final class Probe {
        final Graph g = new Graph();
        final Map<Tensor, NdArray> feeds = new HashMap<>();

        Tensor input(String name, int... dims) { return input(name, DType.F32, dims); }

        Tensor input(String name, DType type, int... dims) {
            Tensor t = g.input(name, type, dims);
            feeds.put(t, T.gaussian(t.shape(), rnd));
            return t;
        }

        /** A constant index tensor of {@code shape}, entries uniform in {@code [0, size)}, i32 or i64 at random. */
        Tensor indices(int size, int... shape) {
            double[] v = new double[Shape.of(shape).size()];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(size);
            return g.constant(rnd.nextBoolean() ? DType.I32 : DType.I64, Shape.of(shape), v);
        }

        /** Checks {@code <y, c> = sum_i <x_i, (L^T c)_i>}: y jointly linear in {@code xs}. */
        void check(String what, Tensor y, Tensor... xs) {
            Tensor c = g.input("ct", y.dtype(), y.shape().dims());
            feeds.put(c, T.gaussian(c.shape(), rnd));
            List<Tensor> cts = Autodiff.vjp(List.of(y), List.of(c), List.of(xs));
            List<Tensor> outs = new ArrayList<>();
            outs.add(y);
            outs.addAll(cts);
            List<NdArray> v = T.run(g, feeds, outs);
            double lhs = T.dot(v.get(0), feeds.get(c)), rhs = 0, scale = 0;
            for (int i = 0; i < xs.length; i++) {
                assertEquals(xs[i].shape(), v.get(i + 1).shape(), what);
                rhs += T.dot(feeds.get(xs[i]), v.get(i + 1));
            }
            for (double d : v.get(0).data()) scale += Math.abs(d);
            assertEquals(lhs, rhs, 1e-9 * (1 + scale), what);
        }
    }

    private int r(int lo, int hi) { return lo + rnd.nextInt(hi - lo + 1); }

    private int[] dims(int rank, int lo, int hi) {
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) d[i] = r(lo, hi);
        return d;
    }

    @Test void elementwiseLinear() {
        for (int trial = 0; trial < 20; trial++) {
            int[] s = dims(r(0, 3), 1, 3);
            Probe p = new Probe();
            Tensor x = p.input("x", s), z = p.input("z", s), k = p.input("k", s);
            p.check("neg", x.neg(), x);
            p.check("add", x.add(z), x, z);
            p.check("sub", x.sub(z), x, z);
            p.check("mul", x.mul(k), x);
            p.check("mul_left", k.mul(x), x);
            p.check("div", x.div(k.exp()), x);
            Tensor mask = p.input("m", s).gt(0.0);
            p.check("select", mask.select(x, z), x, z);
            p.check("select_a", mask.select(x, p.g.fill(0.0, s)), x);
            p.check("select_b", mask.select(p.g.fill(0.0, s), z), z);
        }
    }

    @Test void broadcastInDim() {
        for (int trial = 0; trial < 200; trial++) {
            int outRank = r(0, 4);
            int[] out = dims(outRank, 1, 3);
            List<Integer> chosen = new ArrayList<>();
            for (int a = 0; a < outRank; a++) if (rnd.nextBoolean()) chosen.add(a);
            int[] bd = chosen.stream().mapToInt(Integer::intValue).toArray();
            int[] in = new int[bd.length];
            for (int i = 0; i < bd.length; i++) in[i] = rnd.nextInt(3) == 0 ? 1 : out[bd[i]];
            Probe p = new Probe();
            Tensor x = p.input("x", in);
            p.check("broadcast_in_dim " + Arrays.toString(in) + "->" + Arrays.toString(out) + " dims " + Arrays.toString(bd),
                    x.broadcastInDim(Shape.of(out), bd), x);
        }
    }

    @Test void reduceSum() {
        for (int trial = 0; trial < 200; trial++) {
            int rank = r(1, 4);
            int[] s = dims(rank, 1, 3);
            List<Integer> axes = new ArrayList<>();
            for (int a = 0; a < rank; a++) if (rnd.nextBoolean()) axes.add(a);
            if (axes.isEmpty()) axes.add(rnd.nextInt(rank));
            Probe p = new Probe();
            Tensor x = p.input("x", s);
            p.check("reduce_sum", x.sum(axes.stream().mapToInt(Integer::intValue).toArray()), x);
        }
    }

    @Test void dotGeneral() {
        for (int trial = 0; trial < 300; trial++) {
            int nb = r(0, 2), nc = r(0, 2), nfx = r(0, 2), nfy = r(0, 2);
            int[] bs = dims(nb, 1, 3), cs = dims(nc, 1, 3), fx = dims(nfx, 1, 3), fy = dims(nfy, 1, 3);
            // Random axis orders: each side's roles (batch, contract, free) at shuffled positions.
            int[] xpos = shuffled(nb + nc + nfx), ypos = shuffled(nb + nc + nfy);
            int[] xs = new int[xpos.length], ys = new int[ypos.length];
            int[] lb = new int[nb], rb = new int[nb], lc = new int[nc], rc = new int[nc];
            for (int i = 0; i < nb; i++) { lb[i] = xpos[i]; rb[i] = ypos[i]; xs[xpos[i]] = bs[i]; ys[ypos[i]] = bs[i]; }
            for (int i = 0; i < nc; i++) {
                lc[i] = xpos[nb + i]; rc[i] = ypos[nb + i]; xs[xpos[nb + i]] = cs[i]; ys[ypos[nb + i]] = cs[i];
            }
            for (int i = 0; i < nfx; i++) xs[xpos[nb + nc + i]] = fx[i];
            for (int i = 0; i < nfy; i++) ys[ypos[nb + nc + i]] = fy[i];
            Probe p = new Probe();
            Tensor x = p.input("x", xs), y = p.input("y", ys);
            Tensor out = x.dotGeneral(y, lc, rc, lb, rb);
            String what = "dot_general x" + Arrays.toString(xs) + " y" + Arrays.toString(ys) + " c" + Arrays.toString(lc)
                    + Arrays.toString(rc) + " b" + Arrays.toString(lb) + Arrays.toString(rb);
            p.check(what + " wrt x", out, x);
            p.check(what + " wrt y", out, y);
        }
    }

    private int[] shuffled(int n) {
        int[] p = Ints.range(n).toArray();
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    @Test void transposeReshapeRev() {
        for (int trial = 0; trial < 150; trial++) {
            int rank = r(0, 4);
            int[] s = dims(rank, 1, 3);
            Probe p = new Probe();
            Tensor x = p.input("x", s);
            p.check("transpose", x.transpose(shuffled(rank)), x);
            int[] flat = {x.shape().size()};
            p.check("reshape", x.reshape(flat), x);
            if (rank > 0) {
                List<Integer> axes = new ArrayList<>();
                for (int a = 0; a < rank; a++) if (rnd.nextBoolean()) axes.add(a);
                p.check("rev", x.rev(axes.stream().mapToInt(Integer::intValue).toArray()), x);
            }
        }
    }

    @Test void pad() {
        int done = 0;
        for (int trial = 0; trial < 600; trial++) {
            int rank = r(1, 3);
            int[] s = dims(rank, 0, 4), lo = new int[rank], hi = new int[rank], in = new int[rank];
            for (int a = 0; a < rank; a++) { lo[a] = r(-3, 2); hi[a] = r(-3, 2); in[a] = r(0, 2); }
            Probe p = new Probe();
            Tensor x = p.input("x", s), y;
            try {
                y = x.pad(lo, hi, in);
            } catch (ShapeException e) {
                continue; // crops more than the axis holds
            }
            p.check("pad " + Arrays.toString(s) + " lo" + Arrays.toString(lo) + " hi" + Arrays.toString(hi)
                    + " in" + Arrays.toString(in), y, x);
            done++;
        }
        assertTrue(done > 200, "enough valid pads: " + done);
    }

    @Test void slice() {
        for (int trial = 0; trial < 300; trial++) {
            int rank = r(1, 3);
            int[] s = dims(rank, 1, 6), start = new int[rank], stop = new int[rank], step = new int[rank];
            for (int a = 0; a < rank; a++) {
                start[a] = r(0, s[a]);
                stop[a] = r(start[a], s[a]);
                step[a] = r(1, 3);
            }
            Probe p = new Probe();
            Tensor x = p.input("x", s);
            p.check("slice " + Arrays.toString(s) + " " + Arrays.toString(start) + ":" + Arrays.toString(stop)
                    + ":" + Arrays.toString(step), x.slice(start, stop, step), x);
        }
    }

    @Test void concatenate() {
        for (int trial = 0; trial < 150; trial++) {
            int rank = r(1, 3), axis = rnd.nextInt(rank), n = r(1, 3);
            int[] base = dims(rank, 1, 3);
            Probe p = new Probe();
            Tensor[] xs = new Tensor[n];
            for (int i = 0; i < n; i++) {
                int[] s = base.clone();
                s[axis] = r(0, 3);
                xs[i] = p.input("x" + i, s);
            }
            Tensor y = Tensor.concatenate(axis, xs);
            p.check("concatenate", y, xs);
            // Linear in the first operand alone when the others are zero.
            for (int i = 1; i < n; i++) p.feeds.put(xs[i], NdArray.zeros(xs[i].shape()));
            p.check("concatenate_first_only", y, xs[0]);
        }
    }

    // ---- gather <-> scatter_add (the fifth pair), cumsum (the sixth), convert ----

    /** Whether an index tensor repeats a value (so accumulation is exercised). */
    private boolean repeats(Probe p, Tensor idx) {
        double[] v = Interpreter.run(p.g, p.feeds, idx).data();
        java.util.Set<Double> seen = new java.util.HashSet<>();
        for (double d : v) if (!seen.add(d)) return true;
        return false;
    }

    /** numpy take along any axis, index ranks 0..2 (and some empty), sizes small so indices repeat. */
    @Test void gather() {
        int repeated = 0, byRank[] = new int[3], empty = 0;
        for (int trial = 0; trial < 300; trial++) {
            int rank = r(1, 3), axis = rnd.nextInt(rank), idxRank = trial % 3;
            int[] s = dims(rank, 1, 3);
            int[] is = dims(idxRank, 0, 4);
            if (rnd.nextInt(8) != 0) for (int i = 0; i < is.length; i++) is[i] = Math.max(is[i], 1);
            Probe p = new Probe();
            Tensor x = p.input("x", s), idx = p.indices(s[axis], is);
            String what = "gather x" + Arrays.toString(s) + " axis " + axis + " indices" + Arrays.toString(is);
            p.check(what, x.gather(idx, axis), x);
            byRank[idxRank]++;
            if (idx.shape().size() == 0) empty++;
            if (repeats(p, idx)) repeated++;
        }
        assertTrue(repeated > 50 && empty > 3 && byRank[0] > 50, repeated + " with repeated indices, " + empty + " empty");
    }

    @Test void takeAlongAxis() {
        int repeated = 0;
        for (int trial = 0; trial < 200; trial++) {
            int rank = r(1, 3), axis = rnd.nextInt(rank);
            int[] s = dims(rank, 1, 3), is = new int[rank];
            for (int a = 0; a < rank; a++) is[a] = a == axis ? r(0, 4) : r(rank == 1 ? 1 : 0, s[a]);
            Probe p = new Probe();
            Tensor x = p.input("x", s), idx = p.indices(s[axis], is);
            p.check("take_along_axis x" + Arrays.toString(s) + " axis " + axis + " indices" + Arrays.toString(is),
                    x.takeAlongAxis(idx, axis), x);
            if (repeats(p, idx)) repeated++;
        }
        assertTrue(repeated > 50, repeated + " with repeated indices");
    }

    /** scatter_add w.r.t. x, w.r.t. updates, and jointly. */
    @Test void scatterAdd() {
        int repeated = 0;
        for (int trial = 0; trial < 200; trial++) {
            int rank = r(1, 3), axis = rnd.nextInt(rank);
            int[] s = dims(rank, 1, 3), us = new int[rank];
            for (int a = 0; a < rank; a++) us[a] = a == axis ? r(0, 5) : r(rank == 1 ? 1 : 0, s[a]);
            Probe p = new Probe();
            Tensor x = p.input("x", s), u = p.input("u", us), idx = p.indices(s[axis], us);
            Tensor y = x.scatterAdd(idx, u, axis);
            String what = "scatter_add x" + Arrays.toString(s) + " axis " + axis + " updates" + Arrays.toString(us);
            p.check(what + " jointly", y, x, u);
            // Linear in each alone when the other is zero.
            NdArray uv = p.feeds.get(u);
            p.feeds.put(u, NdArray.zeros(u.shape()));
            p.check(what + " wrt x", y, x);
            p.feeds.put(u, uv);
            p.feeds.put(x, NdArray.zeros(x.shape()));
            p.check(what + " wrt updates", y, u);
            if (repeats(p, idx)) repeated++;
        }
        assertTrue(repeated > 50, repeated + " with repeated indices");
    }

    @Test void cumsum() {
        for (int trial = 0; trial < 60; trial++) {
            int rank = r(1, 4);
            int[] s = dims(rank, 0, 4);
            for (int axis = 0; axis < rank; axis++) {
                for (boolean reverse : new boolean[] {false, true}) {
                    Probe p = new Probe();
                    Tensor x = p.input("x", s);
                    p.check("cumsum x" + Arrays.toString(s) + " axis " + axis + (reverse ? " reverse" : ""), x.cumsum(axis, reverse), x);
                }
            }
        }
    }

    @Test void convert() {
        for (int trial = 0; trial < 20; trial++) {
            int[] s = dims(r(0, 3), 1, 3);
            Probe p = new Probe();
            Tensor x = p.input("x", DType.F32, s), z = p.input("z", DType.F64, s);
            p.check("convert f32 -> f64", x.convert(DType.F64), x);
            p.check("convert f64 -> f32", z.convert(DType.F32), z);
        }
    }

    // ---- conv ----

    private static Conv conv(int s, int lo, int hi, int a, int d, int groups) {
        return new Conv(Ints.of(s), Ints.of(lo), Ints.of(hi), Ints.of(a), Ints.of(d), groups);
    }

    /** Checks conv's transposes w.r.t. x and w.r.t. k; returns false if the combination is invalid. */
    private boolean checkConv(Conv op, int[] xs, int[] ks) {
        Probe p = new Probe();
        Tensor x = p.input("x", xs), k = p.input("k", ks), y;
        try {
            y = p.g.add(op, x, k);
        } catch (ShapeException e) {
            return false;
        }
        if (y.shape().size() == 0) return false;
        String what = "conv " + op.attributes() + " x" + Arrays.toString(xs) + " k" + Arrays.toString(ks);
        p.check(what + " wrt x", y, x);
        p.check(what + " wrt k", y, k);
        return true;
    }

    /** Every 1-D combination: L 1..8, K 1..3, stride 1..3, rhs/lhs dilation 1..2, pads -1..2, groups 1/2/depthwise. */
    @Test void conv1dExhaustive() {
        int checked = 0, trailingUnused = 0, negativePad = 0;
        int[][] channels = {{1, 2, 3}, {2, 4, 2}, {3, 3, 3}}; // {groups, Cin, Cout}: plain, grouped, depthwise
        for (int l = 1; l <= 8; l++)
            for (int kn = 1; kn <= 3; kn++)
                for (int s = 1; s <= 3; s++)
                    for (int d = 1; d <= 2; d++)
                        for (int a = 1; a <= 2; a++)
                            for (int lo = -1; lo <= 2; lo++)
                                for (int hi = -1; hi <= 2; hi++)
                                    for (int[] ch : channels) {
                                        int gr = ch[0], cin = ch[1], cout = ch[2];
                                        if (checkConv(conv(s, lo, hi, a, d, gr), new int[] {2, l, cin},
                                                new int[] {kn, cin / gr, cout})) {
                                            checked++;
                                            int span = (l - 1) * a + 1 + lo + hi - ((kn - 1) * d + 1);
                                            if (span % s != 0) trailingUnused++; // the last inputs feed no output
                                            if (lo < 0 || hi < 0) negativePad++;
                                        }
                                    }
        assertTrue(checked > 10000, "combinations checked: " + checked);
        assertTrue(trailingUnused > 1000 && negativePad > 1000, trailingUnused + " trailing-unused, " + negativePad + " cropping");
        System.out.println("conv 1-D: " + checked + " combinations (" + trailingUnused + " with trailing input unused, "
                + negativePad + " with negative padding), each w.r.t. x and k");
    }

    /**
     * {@code Nn.convTranspose} (built from {@link Conv#inputGradient}) is, by definition, the
     * vjp of the forward conv with respect to its input: the same values over a random sample
     * of 1-D and 2-D settings with groups, dilation and output padding.
     */
    @Test void convTransposeIsTheInputGradientOfTheForwardConv() {
        int checked = 0;
        for (int trial = 0; trial < 150; trial++) {
            int r = r(1, 2), groups = r(1, 3), cin = groups * r(1, 2), coutG = r(1, 2);
            int[] st = new int[r], pad = new int[r], op = new int[r], dil = new int[r], xs = new int[r + 2], ws = new int[r + 2];
            xs[0] = r(1, 2);
            xs[r + 1] = cin;
            ws[r] = cin;
            ws[r + 1] = coutG;
            for (int a = 0; a < r; a++) {
                st[a] = r(1, 3);
                dil[a] = r(1, 2);
                ws[a] = r(1, 3);
                pad[a] = r(0, (ws[a] - 1) * dil[a]);
                op[a] = r(0, st[a] - 1);
                xs[a + 1] = r(1, 4);
            }
            Probe p = new Probe();
            Tensor x = p.input("x", xs), w = p.input("w", ws);
            Tensor y;
            try {
                y = dev.adjoint.graph.Nn.convTranspose(x, w, st, pad, op, dil, groups);
            } catch (ShapeException e) {
                continue; // an empty output
            }
            if (y.shape().size() == 0) continue;
            int[] swap = Ints.range(r + 2).toArray();
            swap[r] = r + 1;
            swap[r + 1] = r;
            Tensor z = p.g.input("z", y.shape().dims());
            Tensor fwd = p.g.add(new Conv(Ints.of(st), Ints.of(pad), Ints.of(pad), Ints.filled(r, 1), Ints.of(dil), groups),
                    z, w.transpose(swap));
            assertEquals(x.shape(), fwd.shape());
            Tensor dz = Autodiff.vjp(List.of(fwd), List.of(x), List.of(z)).get(0);
            p.feeds.put(z, NdArray.zeros(z.shape()));
            List<NdArray> v = T.run(p.g, p.feeds, List.of(y, dz));
            String what = "conv_transpose x" + Arrays.toString(xs) + " w" + Arrays.toString(ws) + " s" + Arrays.toString(st)
                    + " p" + Arrays.toString(pad) + " op" + Arrays.toString(op) + " d" + Arrays.toString(dil) + " g" + groups;
            assertEquals(v.get(1).shape(), v.get(0).shape(), what);
            for (int i = 0; i < v.get(0).data().length; i++) assertEquals(v.get(1).data()[i], v.get(0).data()[i], 1e-12, what);
            checked++;
        }
        assertTrue(checked > 100, "settings checked: " + checked);
    }

    /** A random sample of 2-D combinations, including depthwise with channel multiplier. */
    @Test void conv2dSample() {
        int checked = 0;
        for (int trial = 0; trial < 400 && checked < 250; trial++) {
            int[] gc = switch (rnd.nextInt(3)) {
                case 0 -> new int[] {1, r(1, 2), r(1, 3)};
                case 1 -> new int[] {2, 2 * r(1, 2), 2 * r(1, 2)};
                default -> { int c = r(1, 3); yield new int[] {c, c, c * r(1, 2)}; }
            };
            int[] sp = {r(1, 6), r(1, 6)}, kk = {r(1, 3), r(1, 3)};
            Conv op = new Conv(Ints.of(r(1, 3), r(1, 3)), Ints.of(r(-1, 2), r(-1, 2)), Ints.of(r(-1, 2), r(-1, 2)),
                    Ints.of(r(1, 2), r(1, 2)), Ints.of(r(1, 2), r(1, 2)), gc[0]);
            if (checkConv(op, new int[] {r(1, 2), sp[0], sp[1], gc[1]}, new int[] {kk[0], kk[1], gc[1] / gc[0], gc[2]})) {
                checked++;
            }
        }
        assertTrue(checked >= 200, "2-D combinations checked: " + checked);
    }
}
