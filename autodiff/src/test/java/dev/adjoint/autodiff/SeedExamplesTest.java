package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The seeds' worked examples, by forward and by reverse mode. */
class SeedExamplesTest {
    @Test void productOfSums_reverse_and_forward() {
        Graph g = new Graph();
        Tensor x = g.input("x"), a = g.input("a"), b = g.input("b");
        Tensor f = x.add(a).mul(x.add(b));
        Map<Tensor, NdArray> feeds = T.feeds(x, 2.0, a, 3.0, b, -5.0);
        List<Tensor> d = Autodiff.grad(f, a, b);
        assertEquals(2.0 - 5.0, T.scalar(g, feeds, d.get(0)), 0);  // df/da = x + b
        assertEquals(2.0 + 3.0, T.scalar(g, feeds, d.get(1)), 0);  // df/db = x + a
        Tensor one = g.constant(1.0);
        assertEquals(-3.0, T.scalar(g, feeds, Autodiff.jvp(f, a, one)), 0);
        assertEquals(5.0, T.scalar(g, feeds, Autodiff.jvp(f, b, one)), 0);
    }

    @Test void quadraticForm_reverse_and_forward() {
        Graph g = new Graph();
        Tensor a = g.input("a"), b = g.input("b"), c = g.input("c"), x = g.input("x"), y = g.input("y");
        Tensor z = a.mul(x).mul(x).add(b.mul(x).mul(y)).add(c.mul(y).mul(y));
        Map<Tensor, NdArray> feeds = T.feeds(a, 3.0, b, 1.0, c, -2.0, x, 4.0, y, -1.0);
        List<Tensor> d = Autodiff.grad(z, a, b, c);
        assertEquals(16.0, T.scalar(g, feeds, d.get(0)), 0);
        assertEquals(-4.0, T.scalar(g, feeds, d.get(1)), 0);
        assertEquals(1.0, T.scalar(g, feeds, d.get(2)), 0);
        Tensor one = g.constant(1.0);
        assertEquals(16.0, T.scalar(g, feeds, Autodiff.jvp(z, a, one)), 0);
        assertEquals(-4.0, T.scalar(g, feeds, Autodiff.jvp(z, b, one)), 0);
        assertEquals(1.0, T.scalar(g, feeds, Autodiff.jvp(z, c, one)), 0);
        // dz/dx = 2ax + by = 24 - 1 = 23; dz/dy = bx + 2cy = 4 + 4 = 8
        List<Tensor> dxy = Autodiff.grad(z, x, y);
        assertEquals(23.0, T.scalar(g, feeds, dxy.get(0)), 0);
        assertEquals(8.0, T.scalar(g, feeds, dxy.get(1)), 0);
    }
}
