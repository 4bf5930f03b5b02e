package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Symbolic zeros, unreached tensors, stop_gradient, and how many nodes derivatives cost. */
class ZeroCasesTest {
    @Test void unreachedWrtGetsZeros() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3), unused = g.input("u", 4);
        Tensor loss = x.exp().sum();
        List<Tensor> d = Autodiff.grad(loss, x, unused);
        Map<Tensor, NdArray> feeds = T.feeds(x, T.random(Shape.of(2, 3), new Random(1), -1, 1));
        NdArray du = T.run(g, feeds, List.of(d.get(1))).get(0);
        assertEquals(Shape.of(4), du.shape());
        assertArrayEquals(new double[4], du.data());
        // A wrt tensor built after the loss is not reached either.
        Tensor later = x.mul(2.0);
        assertArrayEquals(new double[6], T.run(g, feeds, List.of(Autodiff.grad(loss, later))).get(0).data());
    }

    @Test void stopGradientCuts() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor loss = x.mul(x.stopGradient()).sum(); // d/dx = stop(x), not 2x
        NdArray xv = NdArray.of(Shape.of(3), 1, -2, 3);
        NdArray d = T.run(g, T.feeds(x, xv), List.of(Autodiff.grad(loss, x))).get(0);
        assertArrayEquals(xv.data(), d.data());
        Tensor only = x.stopGradient().exp().sum();
        assertArrayEquals(new double[3], T.run(g, T.feeds(x, xv), List.of(Autodiff.grad(only, x))).get(0).data());
        assertArrayEquals(new double[3], T.run(g, T.feeds(x, xv),
                List.of(Autodiff.jvp(x.stopGradient().exp(), x, g.constant(Shape.of(3), 1, 1, 1)))).get(0).data());
    }

    @Test void symbolicZerosAddNoNodes() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4), c = g.input("c", 4);
        // A long chain in c only: x's derivative must not visit or copy it.
        Tensor h = c;
        for (int i = 0; i < 50; i++) h = h.tanh().mul(c);
        Tensor y = x.mul(h); // only this node is on x's path
        int before = g.size();
        Tensor t = Autodiff.jvp(y, x, c);
        assertEquals(before + 1, g.size(), "jvp of x*h w.r.t. x: one mul, nothing for the c-chain");
        assertTrue(t.op() instanceof dev.adjoint.graph.op.Binary);
        before = g.size();
        Autodiff.vjp(List.of(y), List.of(c), List.of(x));
        assertEquals(before + 1, g.size(), "vjp of x*h w.r.t. x: one mul");
        // Reverse mode through an elementwise chain appends O(path) nodes, no forward tangents.
        Tensor z = x;
        for (int i = 0; i < 10; i++) z = g.add(new Unary(UnaryFn.NEG), z);
        before = g.size();
        Autodiff.vjp(List.of(z), List.of(c), List.of(x));
        assertEquals(before + 10, g.size(), "ten negations transpose to ten negations");
        // A zero cotangent (null) creates only the materialized zero result.
        before = g.size();
        Autodiff.vjp(List.of(z), java.util.Arrays.asList((Tensor) null), List.of(x));
        assertTrue(g.size() - before <= 2, "zeros: a scalar constant and a broadcast");
    }

    @Test void zeroSidesOfSelectAndConcatenateCostNothingInReverseMode() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3), c = g.input("c", 3), m = g.input("m", 3);
        Tensor y = Tensor.concatenate(0, m.gt(0.0).select(x, c), c);
        Tensor ct = g.input("ct", 6);
        int before = g.size();
        Autodiff.vjp(List.of(y), List.of(ct), List.of(x));
        // slice of the concatenation's cotangent, zeros for the select's other side, the select
        assertEquals(before + 4, g.size(), g.toString());
    }

    @Test void forwardModeEmitsOnlyWhatTheOutputsNeed() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3), c = g.input("c", 3);
        Tensor side = x.exp();                 // depends on x but not needed by y
        Tensor y = x.mul(c).add(c);            // tangent: one mul (the add passes it through)
        int before = g.size();
        Autodiff.jvp(List.of(y), List.of(x), List.of(c));
        assertEquals(before + 1, g.size(), g.toString());
        assertTrue(side.id() < before);
    }

    @Test void derivativeNodesPointAtTheUsersLine() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor loss = x.tanh().sum();
        int before = g.size();
        Autodiff.grad(loss, x); int line = new Throwable().getStackTrace()[0].getLineNumber();
        for (int id = before; id < g.size(); id++) {
            assertEquals("ZeroCasesTest.java:" + line, g.node(id).where(), g.node(id).toString());
        }
    }

    @Test void wrtIsLeaf_outputIsWrt() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2);
        Tensor ct = g.constant(Shape.of(2), 5, 7);
        Tensor d = Autodiff.vjp(List.of(x), List.of(ct), List.of(x)).get(0);
        assertArrayEquals(new double[] {5, 7}, T.run(g, T.feeds(x, NdArray.of(Shape.of(2), 1, 1)), List.of(d)).get(0).data());
    }

    @Test void reverseModeAppendsNodesInProportionToThePath() {
        for (int ops : new int[] {100, 400}) {
            Graph g = new Graph();
            Tensor x = g.input("x", 4, 4), w = g.input("w", 4, 4), side = g.input("s", 4, 4);
            Tensor h = x, dead = side;
            for (int i = 0; i < ops; i++) {
                h = i % 2 == 0 ? h.matmul(w) : h.tanh();
                dead = dead.exp(); // not on the loss's path: must cost nothing
            }
            Tensor loss = h.sum();
            int before = g.size();
            Autodiff.grad(loss, x, w);
            int appended = g.size() - before;
            // per matmul: two dot_generals, a transpose, an add; per tanh: 1 - y^2 (5 nodes) and a mul
            assertTrue(appended <= 6 * ops + 10, ops + " ops appended " + appended + " nodes");
        }
    }
}
