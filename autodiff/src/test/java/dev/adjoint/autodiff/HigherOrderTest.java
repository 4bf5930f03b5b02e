package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Jacobians (both modes), Hessians, Hessian-vector products and nested gradients. */
class HigherOrderTest {
    private static double[] fdColumn(Graph g, Map<Tensor, NdArray> feeds, Tensor x, Tensor f, int j, double eps) {
        double[] base = feeds.get(x).data();
        double[] p = base.clone(), m = base.clone();
        p[j] += eps;
        m[j] -= eps;
        var fp = new java.util.HashMap<>(feeds);
        fp.put(x, new NdArray(x.shape(), p));
        var fm = new java.util.HashMap<>(feeds);
        fm.put(x, new NdArray(x.shape(), m));
        double[] a = Interpreter.run(g, fp, f).data(), b = Interpreter.run(g, fm, f).data();
        double[] col = new double[a.length];
        for (int i = 0; i < a.length; i++) col[i] = (a[i] - b[i]) / (2 * eps);
        return col;
    }

    @Test void jacobianBothModesMatchFiniteDifferences() {
        Graph g = new Graph();
        Tensor a = g.input("a", 2, 3), x = g.input("x", 3);
        Tensor y = a.matmul(x).tanh();
        Map<Tensor, NdArray> feeds = T.feeds(a, T.gaussian(Shape.of(2, 3), new Random(1)), x, T.gaussian(Shape.of(3), new Random(2)));
        Tensor jr = Autodiff.jacobian(y, x), jf = Autodiff.jacobianForward(y, x);
        assertEquals(Shape.of(2, 3), jr.shape());
        assertEquals(Shape.of(2, 3), jf.shape());
        List<NdArray> v = T.run(g, feeds, List.of(jr, jf));
        for (int j = 0; j < 3; j++) {
            double[] col = fdColumn(g, feeds, x, y, j, 1e-6);
            for (int i = 0; i < 2; i++) {
                assertEquals(col[i], v.get(0).data()[i * 3 + j], 1e-8);
                assertEquals(col[i], v.get(1).data()[i * 3 + j], 1e-8);
            }
        }
    }

    @Test void hessianAndHvp() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4), w = g.input("w", 4, 4);
        Tensor loss = x.matmul(w).tanh().mul(x).sum().add(x.pow(3.0).sum());
        Random rnd = new Random(5);
        Map<Tensor, NdArray> feeds = T.feeds(x, T.gaussian(Shape.of(4), rnd), w, T.gaussian(Shape.of(4, 4), rnd));
        Tensor h = Autodiff.hessian(loss, x);
        assertEquals(Shape.of(4, 4), h.shape());
        Tensor grad = Autodiff.grad(loss, x);
        NdArray hv = T.run(g, feeds, List.of(h)).get(0);
        for (int j = 0; j < 4; j++) {
            double[] col = fdColumn(g, feeds, x, grad, j, 1e-6);
            for (int i = 0; i < 4; i++) assertEquals(col[i], hv.data()[i * 4 + j], 1e-7, "H[" + i + "," + j + "]");
        }
        // symmetric
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) assertEquals(hv.data()[i * 4 + j], hv.data()[j * 4 + i], 1e-12);
        // hvp = H v
        double[] vv = {0.5, -1, 2, 0.25};
        Tensor v = g.constant(Shape.of(4), vv);
        NdArray hvp = T.run(g, feeds, Autodiff.hvp(loss, List.of(x), List.of(v))).get(0);
        for (int i = 0; i < 4; i++) {
            double s = 0;
            for (int j = 0; j < 4; j++) s += hv.data()[i * 4 + j] * vv[j];
            assertEquals(s, hvp.data()[i], 1e-12);
        }
    }

    @Test void nestedGradients() {
        Graph g = new Graph();
        Tensor x = g.input("x");
        Tensor f = x.pow(4.0);                               // f = x^4
        Tensor d1 = Autodiff.grad(f, x);                     // 4x^3
        Tensor d2 = Autodiff.grad(d1, x);                    // 12x^2
        Tensor d3 = Autodiff.grad(d2, x);                    // 24x
        Tensor d4 = Autodiff.jvp(d3, x, g.constant(1.0));    // 24
        List<NdArray> v = T.run(g, T.feeds(x, 1.5), List.of(d1, d2, d3, d4));
        assertArrayEquals(new double[] {4 * 3.375, 12 * 2.25, 24 * 1.5, 24},
                v.stream().mapToDouble(NdArray::item).toArray(), 1e-12);
    }
}
