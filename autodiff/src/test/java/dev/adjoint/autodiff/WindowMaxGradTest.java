package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Max pooling's derivatives: window_max's JVP and VJP against finite differences (padding,
 * overlapping windows, dilation, channels first), the gather/scatter pair by the dot-product
 * identity in both directions, and a Hessian-vector product through a max pool (x is a fixed,
 * selecting operand of the gather and scatter).
 */
class WindowMaxGradTest {
    private static final List<Window> WINDOWS = List.of(
            new Window(Ints.of(1, 2, 2, 1), Ints.of(1, 2, 2, 1), Ints.of(0, 0, 0, 0), Ints.of(0, 1, 0, 0), Ints.of(1, 1, 1, 1)),
            new Window(Ints.of(1, 3, 3, 1), Ints.of(1, 2, 1, 1), Ints.of(0, 1, 1, 0), Ints.of(0, 1, 2, 0), Ints.of(1, 1, 1, 1)),
            new Window(Ints.of(1, 2, 3, 1), Ints.of(1, 1, 2, 1), Ints.of(0, 1, 0, 0), Ints.of(0, 0, 1, 0), Ints.of(1, 2, 1, 1)),
            new Window(Ints.of(1, 1, 3, 2), Ints.of(1, 1, 1, 2), Ints.of(0, 0, 1, 0), Ints.of(0, 0, 0, 1), Ints.of(1, 1, 1, 1))); // NCHW

    @Test void vjpAndJvpMatchFiniteDifferences() {
        Random rnd = new Random(11);
        for (Window w : WINDOWS) {
            Graph g = new Graph();
            Tensor x = g.input("x", DType.F64, 2, 5, 6, 3);
            Tensor y = Nn.maxPool(x.tanh(), w).mul(x.sum(new int[] {3}, true).slice(new int[4], new int[] {2, 1, 1, 1}));
            Map<Tensor, NdArray> feeds = Map.of(x, T.gaussian(x.shape(), rnd));
            for (GradCheck.Report r : GradCheck.vjp(y, List.of(x), feeds)) assertTrue(r.passes(1e-6), w.attributes() + ": " + r);
            GradCheck.Report r = GradCheck.jvp(y, List.of(x), feeds);
            assertTrue(r.passes(1e-6), w.attributes() + ": " + r);
        }
    }

    @Test void gatherAndScatterAreEachOthersTranspose() {
        Random rnd = new Random(12);
        for (Window w : WINDOWS) {
            Graph g = new Graph();
            Tensor x = g.input("x", DType.F64, 2, 5, 6, 3), t = g.input("t", DType.F64, 2, 5, 6, 3);
            Tensor gathered = g.add(new WindowMaxGather(w), x, t);
            Tensor c = g.input("c", DType.F64, gathered.shape().dims());
            Tensor scattered = g.add(new WindowMaxScatter(w), x, c);
            // Ties too: x rounded, so the shared arg-max rule matters.
            NdArray xv = T.gaussian(x.shape(), rnd);
            double[] xr = xv.data().clone();
            for (int i = 0; i < xr.length; i++) xr[i] = Math.round(xr[i]);
            for (NdArray xs : List.of(xv, NdArray.of(x.shape(), xr))) {
                NdArray tv = T.gaussian(t.shape(), rnd), cv = T.gaussian(c.shape(), rnd);
                Map<Tensor, NdArray> feeds = T.feeds(x, xs, t, tv, c, cv);
                // The rules: the transpose of the gather (w.r.t. t) and of the scatter (w.r.t. c), from Autodiff.vjp.
                Tensor gT = Autodiff.vjp(List.of(gathered), List.of(c), List.of(t)).get(0);
                Tensor sT = Autodiff.vjp(List.of(scattered), List.of(t), List.of(c)).get(0);
                List<NdArray> v = T.run(g, feeds, List.of(gathered, scattered, gT, sT));
                double lhs = T.dot(v.get(0), cv), rhs = T.dot(tv, v.get(1));
                assertEquals(lhs, rhs, 1e-12 * (1 + Math.abs(lhs)), "<gather(x, t), c> = <t, scatter(x, c)> " + w.attributes());
                assertEquals(lhs, T.dot(tv, v.get(2)), 1e-12 * (1 + Math.abs(lhs)), "gather's transpose rule");
                assertEquals(rhs, T.dot(v.get(3), cv), 1e-12 * (1 + Math.abs(rhs)), "scatter's transpose rule");
            }
        }
    }

    @Test void hvpThroughAMaxPool() {
        Random rnd = new Random(13);
        for (Window w : WINDOWS) {
            Graph g = new Graph();
            Tensor x = g.input("x", DType.F64, 2, 5, 6, 3);
            Tensor loss = Nn.maxPool(x.sin(), w).square().sum();
            Tensor v = g.input("v", DType.F64, 2, 5, 6, 3);
            Tensor hv = Autodiff.hvp(loss, List.of(x), List.of(v)).get(0);
            Tensor gr = Autodiff.grad(loss, x);
            Shape s = x.shape();
            NdArray xv = T.gaussian(s, rnd), vv = T.gaussian(s, rnd);
            double[] analytic = T.run(g, T.feeds(x, xv, v, vv), List.of(hv)).get(0).data();
            double eps = 1e-6;
            double[] plus = xv.data().clone(), minus = xv.data().clone();
            for (int i = 0; i < plus.length; i++) {
                plus[i] += eps * vv.data()[i];
                minus[i] -= eps * vv.data()[i];
            }
            double[] gp = T.run(g, T.feeds(x, NdArray.of(s, plus)), List.of(gr)).get(0).data();
            double[] gm = T.run(g, T.feeds(x, NdArray.of(s, minus)), List.of(gr)).get(0).data();
            double[] numeric = new double[gp.length];
            for (int i = 0; i < gp.length; i++) numeric[i] = (gp[i] - gm[i]) / (2 * eps);
            GradCheck.Report r = GradCheck.compare("hvp", analytic, numeric);
            assertTrue(r.passes(1e-5), w.attributes() + ": " + r);
        }
    }
}
