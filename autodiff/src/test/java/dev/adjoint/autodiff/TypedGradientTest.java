package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.RandomBits;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Op set v2's derivative rules that finite differences alone cannot pin down: integer and bool
 * values have no tangent (typed zeros, never a seed), reduce_prod's tangent at zeros (no division),
 * cross-entropy with integer labels, and Hessian-vector products through the new ops.
 */
class TypedGradientTest {
    private static NdArray of(DType t, int[] shape, double... v) { return new NdArray(t, Shape.of(shape), v); }

    @Test void integerAndBoolInputsGetTypedZeroGradients() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4);
        Tensor ids = g.input("ids", DType.I32, 3), flag = g.input("flag", DType.BOOL, 4), big = g.input("big", DType.I64, 4);
        // Integers and bools used every way: as indices, as masks, converted into arithmetic,
        // through logical and bit ops, argmax, and random bits.
        Tensor key = g.constant(DType.I32, Shape.of(2), 0, 42);
        Tensor bits = g.add(new RandomBits(Shape.of(4)), key).shiftRightLogical(31).convert(DType.F32);
        Tensor mask = flag.and(x.gt(0.0)).or(flag.xor(x.lt(-1.0))).not();
        Tensor loss = x.gather(ids, 0).square().sum()
                .add(mask.select(x, x.mul(3.0)).sum())
                .add(big.convert(DType.F32).mul(x).sum())
                .add(x.mul(ids.convert(DType.F32).sum().broadcastTo(4)).sum())
                .add(x.takeAlongAxis(x.argmax(0, true), 0).sum())
                .add(x.mul(bits).sum());
        List<Tensor> d = Autodiff.grad(loss, x, ids, flag, big);
        assertEquals(DType.I32, d.get(1).dtype());
        assertEquals(DType.BOOL, d.get(2).dtype());
        assertEquals(DType.I64, d.get(3).dtype());
        Map<Tensor, NdArray> feeds = new HashMap<>();
        feeds.put(x, NdArray.of(Shape.of(4), 0.5, -2, 1.5, -0.25));
        feeds.put(ids, of(DType.I32, new int[] {3}, 1, 1, 3));
        feeds.put(flag, of(DType.BOOL, new int[] {4}, 1, 0, 0, 1));
        feeds.put(big, of(DType.I64, new int[] {4}, 7, -3, 0, 2));
        List<NdArray> v = T.run(g, feeds, d);
        assertArrayEquals(new double[3], v.get(1).data());
        assertArrayEquals(new double[4], v.get(2).data());
        assertArrayEquals(new double[4], v.get(3).data());
        // x's gradient by hand: gather (2 x at 1 twice, at 3 once), select, big, sum(ids) = 5, argmax (index 2), bits.
        double[] xv = feeds.get(x).data(), bitv = Interpreter.run(g, feeds, bits).data();
        double[] fl = {1, 0, 0, 1}, bg = {7, -3, 0, 2}, expect = new double[4];
        for (int i = 0; i < 4; i++) {
            boolean f = fl[i] != 0, m = !((f && xv[i] > 0) || (f ^ xv[i] < -1));
            expect[i] = (m ? 1 : 3) + bg[i] + 5 + (i == 2 ? 1 : 0) + bitv[i];
        }
        expect[1] += 2 * 2 * xv[1];
        expect[3] += 2 * xv[3];
        assertArrayEquals(expect, v.get(0).data(), 1e-12);
        // Forward mode with respect to an integer: no seed, a zero tangent of the output's type.
        Tensor t = Autodiff.jvp(loss, ids, g.constant(DType.I32, Shape.of(3), 1, 1, 1));
        assertEquals(0.0, Interpreter.run(g, feeds, t).item());
        // GradCheck over the float input agrees.
        for (GradCheck.Report r : GradCheck.vjp(loss, List.of(x), feeds)) assertTrue(r.passes(1e-6), r.toString());
    }

    @Test void crossEntropyWithIntegerLabels() {
        for (DType labelType : new DType[] {DType.I32, DType.I64}) {
            Graph g = new Graph();
            Tensor logits = g.input("logits", 3, 4), labels = g.input("labels", labelType, 3);
            Tensor loss = Nn.crossEntropy(logits, labels);
            // The same loss written with take_along_axis, the gather path.
            Tensor picked = logits.takeAlongAxis(labels.reshape(3, 1), 1).reshape(3);
            Tensor loss2 = Nn.logSumExp(logits, 1).sub(picked).mean();
            List<Tensor> d = Autodiff.grad(loss, logits, labels);
            Tensor d2 = Autodiff.grad(loss2, logits);
            NdArray lv = T.gaussian(Shape.of(3, 4), new Random(5));
            int[] lab = {2, 0, 2};
            Map<Tensor, NdArray> feeds = new HashMap<>();
            feeds.put(logits, lv);
            feeds.put(labels, of(labelType, new int[] {3}, lab[0], lab[1], lab[2]));
            List<NdArray> v = T.run(g, feeds, List.of(d.get(0), d.get(1), d2));
            double[] expect = new double[12];
            for (int n = 0; n < 3; n++) {
                double z = 0;
                for (int c = 0; c < 4; c++) z += Math.exp(lv.data()[n * 4 + c]);
                for (int c = 0; c < 4; c++) expect[n * 4 + c] = (Math.exp(lv.data()[n * 4 + c]) / z - (c == lab[n] ? 1 : 0)) / 3;
            }
            assertArrayEquals(expect, v.get(0).data(), 1e-12, labelType.label());
            assertArrayEquals(expect, v.get(2).data(), 1e-12, labelType.label() + " via take_along_axis");
            assertEquals(labelType, d.get(1).dtype());
            assertArrayEquals(new double[3], v.get(1).data());
            for (GradCheck.Report r : GradCheck.vjp(loss2, List.of(logits), feeds)) assertTrue(r.passes(1e-6), r.toString());
        }
    }

    /** An embedding's gradient is one scatter_add of the cotangent rows, not a one-hot product. */
    @Test void embeddingGradientIsOneScatterAdd() {
        Graph g = new Graph();
        Tensor w = g.input("w", 1000, 8), ids = g.input("ids", DType.I32, 2, 5), c = g.input("c", 2, 5, 8);
        Tensor loss = w.gather(ids, 0).mul(c).sum();
        int before = g.size();
        Tensor d = Autodiff.grad(loss, w);
        int scatters = 0, dots = 0;
        for (int id = before; id < g.size(); id++) {
            if (g.node(id).op() instanceof dev.adjoint.graph.op.ScatterAdd) scatters++;
            if (g.node(id).op() instanceof dev.adjoint.graph.op.DotGeneral) dots++;
        }
        assertEquals(1, scatters);
        assertEquals(0, dots);
        assertTrue(g.size() - before <= 10, "nodes appended: " + (g.size() - before));
        Random rnd = new Random(3);
        NdArray wv = T.gaussian(Shape.of(1000, 8), rnd), cv = T.gaussian(Shape.of(2, 5, 8), rnd);
        double[] idv = {3, 999, 3, 0, 41, 41, 41, 7, 3, 500};
        Map<Tensor, NdArray> feeds = new HashMap<>();
        feeds.put(w, wv);
        feeds.put(c, cv);
        feeds.put(ids, of(DType.I32, new int[] {2, 5}, idv));
        double[] got = T.run(g, feeds, List.of(d)).get(0).data(), expect = new double[1000 * 8];
        for (int t = 0; t < 10; t++) for (int j = 0; j < 8; j++) expect[(int) idv[t] * 8 + j] += cv.data()[t * 8 + j];
        assertArrayEquals(expect, got, 1e-12);
    }

    /** prod's gradient is the product of the others, exactly, with one, two or all entries zero. */
    @Test void reduceProdAtZerosIsExactAndFinite() {
        double[][] cases = {
            {2, 0, 3, -1.5, 0.5},      // one zero: only its gradient is non-zero
            {0, 2, 0, 3, -1},          // two zeros: the whole gradient is zero, the Hessian is not
            {0, 0, 0},                 // all zero
            {1.5, -2, 0.25, 3, 2, -1, 0.5}, // no zero, odd length (padding with one)
            {0},
        };
        for (double[] xv : cases) {
            int n = xv.length;
            Graph g = new Graph();
            Tensor x = g.input("x", n);
            Tensor p = x.prod();
            Tensor gr = Autodiff.grad(p, x), h = Autodiff.hessian(p, x);
            Map<Tensor, NdArray> feeds = T.feeds(x, NdArray.of(Shape.of(n), xv));
            List<NdArray> v = T.run(g, feeds, List.of(gr, h, Autodiff.jvp(p, x, g.constant(Shape.of(n), ones(n)))));
            double[] eg = new double[n], eh = new double[n * n];
            double jvp = 0;
            for (int i = 0; i < n; i++) {
                eg[i] = prodExcept(xv, i, -1);
                jvp += eg[i];
                for (int j = 0; j < n; j++) eh[i * n + j] = i == j ? 0 : prodExcept(xv, i, j);
            }
            String what = java.util.Arrays.toString(xv);
            assertArrayEquals(eg, v.get(0).data(), 1e-12, what + " gradient");
            assertArrayEquals(eh, v.get(1).data(), 1e-12, what + " hessian");
            assertEquals(jvp, v.get(2).item(), 1e-12, what + " jvp");
        }
        // Along an axis of a matrix, rows with zero, two and no zeros, and second order by finite differences.
        Graph g = new Graph();
        Tensor x = g.input("x", 3, 4);
        Tensor y = x.prod(1).mul(g.constant(Shape.of(3), 0.5, -1, 2)).sum();
        Map<Tensor, NdArray> feeds = T.feeds(x, NdArray.of(Shape.of(3, 4), 1, 0, 2, 3, 0, -1, 0, 2, 1.5, -2, 0.5, 3));
        for (GradCheck.Report r : GradCheck.vjp(y, List.of(x), feeds)) assertTrue(r.passes(1e-8), r.toString());
        Tensor gr = Autodiff.grad(y, x);
        for (GradCheck.Report r : GradCheck.vjp(gr, List.of(x), feeds, 1e-5, 3)) assertTrue(r.passes(1e-7), "second order " + r);
        assertTrue(GradCheck.jvp(gr, List.of(x), feeds, 1e-5, 3).passes(1e-7), "jvp of the gradient");
    }

    private static double prodExcept(double[] x, int i, int j) {
        double p = 1;
        for (int k = 0; k < x.length; k++) if (k != i && k != j) p *= x[k];
        return p;
    }

    private static double[] ones(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1);
        return v;
    }

    /** Hessian-vector products through gather, cumsum, scatter_add, erf and prod, against differences of the gradient. */
    @Test void hvpThroughNewOps() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3);
        Tensor idx = g.constant(DType.I32, Shape.of(4), 2, 0, 2, 1);
        Tensor loss = x.gather(idx, 1).erf().mul(x.cumsum(1, true).sin().gather(idx, 1)).sum()
                .add(x.scatterAdd(g.constant(DType.I64, Shape.of(2, 2), 1, 1, 0, 2), x.slice(new int[] {0, 0}, new int[] {2, 2}).atan(), 1)
                        .log1p().sum())
                .add(x.prod(0).expm1().sum());
        Tensor v = g.input("v", 2, 3);
        Tensor hv = Autodiff.hvp(loss, List.of(x), List.of(v)).get(0);
        Tensor gr = Autodiff.grad(loss, x);
        Random rnd = new Random(9);
        NdArray xv = T.random(Shape.of(2, 3), rnd, 0.1, 1), vv = T.gaussian(Shape.of(2, 3), rnd);
        double[] analytic = T.run(g, T.feeds(x, xv, v, vv), List.of(hv)).get(0).data();
        double eps = 1e-5;
        double[] plus = xv.data().clone(), minus = xv.data().clone();
        for (int i = 0; i < plus.length; i++) {
            plus[i] += eps * vv.data()[i];
            minus[i] -= eps * vv.data()[i];
        }
        double[] gp = T.run(g, T.feeds(x, NdArray.of(Shape.of(2, 3), plus)), List.of(gr)).get(0).data();
        double[] gm = T.run(g, T.feeds(x, NdArray.of(Shape.of(2, 3), minus)), List.of(gr)).get(0).data();
        double[] numeric = new double[gp.length];
        for (int i = 0; i < gp.length; i++) numeric[i] = (gp[i] - gm[i]) / (2 * eps);
        GradCheck.Report r = GradCheck.compare("hvp", analytic, numeric);
        assertTrue(r.passes(1e-6), r.toString());
    }
}
