package dev.adjoint.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Pad;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every primitive through the interpreter on cases small enough to check by hand. */
class InterpreterTest {
    private final Graph g = new Graph();

    private static NdArray arr(int[] dims, double... v) { return NdArray.of(Shape.of(dims), v); }

    private static int[] dims(int... d) { return d; }

    private double[] eval(Tensor out, Object... feeds) {
        java.util.HashMap<Tensor, NdArray> m = new java.util.HashMap<>();
        for (int i = 0; i < feeds.length; i += 2) m.put((Tensor) feeds[i], (NdArray) feeds[i + 1]);
        NdArray r = Interpreter.run(g, m, out);
        assertEquals(out.shape(), r.shape());
        return r.data();
    }

    @Test void seedProductRuleExample() {
        // f = (x + a)(x + b) at x = 2, a = 3, b = 5: 35.
        Tensor x = g.input("x"), a = g.input("a"), b = g.input("b");
        Tensor f = x.add(a).mul(x.add(b));
        assertArrayEquals(new double[] {35}, eval(f, x, NdArray.scalar(2), a, NdArray.scalar(3), b, NdArray.scalar(5)));
    }

    @Test void seedQuadraticFormExample() {
        // z = a x^2 + b x y + c y^2 at a=3, b=1, c=-2, x=4, y=-1: 48 - 4 - 2 = 42.
        Tensor a = g.input("a"), b = g.input("b"), c = g.input("c"), x = g.input("x"), y = g.input("y");
        Tensor z = a.mul(x.square()).add(b.mul(x).mul(y)).add(c.mul(y.square()));
        double[] r = eval(z, a, NdArray.scalar(3), b, NdArray.scalar(1), c, NdArray.scalar(-2), x, NdArray.scalar(4),
                y, NdArray.scalar(-1));
        assertArrayEquals(new double[] {42}, r);
    }

    @Test void unaryFunctions() {
        Tensor x = g.input("x", 4);
        NdArray v = arr(dims(4), -1, 0.25, 1, 4);
        assertArrayEquals(new double[] {1, -0.25, -1, -4}, eval(x.neg(), x, v));
        assertArrayEquals(new double[] {1, 0.25, 1, 4}, eval(x.abs(), x, v));
        assertArrayEquals(new double[] {-1, 1, 1, 1}, eval(x.sign(), x, v));
        assertArrayEquals(new double[] {0, 0.25, 1, 4}, eval(x.relu(), x, v));
        Tensor p = g.input("p", 3);
        NdArray pv = arr(dims(3), 0.25, 1, 4);
        assertArrayEquals(new double[] {0.5, 1, 2}, eval(p.sqrt(), p, pv), 1e-15);
        assertArrayEquals(new double[] {2, 1, 0.5}, eval(p.rsqrt(), p, pv), 1e-15);
        assertArrayEquals(new double[] {Math.log(0.25), 0, Math.log(4)}, eval(p.log(), p, pv), 1e-15);
        assertArrayEquals(new double[] {Math.exp(0.25), Math.E, Math.exp(4)}, eval(p.exp(), p, pv), 1e-12);
        assertArrayEquals(new double[] {Math.tanh(0.25), Math.tanh(1), Math.tanh(4)}, eval(p.tanh(), p, pv), 1e-15);
        assertArrayEquals(new double[] {0.5}, eval(g.constant(0).sigmoid()), 0);
    }

    @Test void binaryFunctionsAndBroadcasting() {
        Tensor a = g.input("a", 2, 1), b = g.input("b", 3);
        NdArray av = arr(dims(2, 1), 1, 2), bv = arr(dims(3), 10, 20, 30);
        assertArrayEquals(new double[] {11, 21, 31, 12, 22, 32}, eval(a.add(b), a, av, b, bv));
        assertArrayEquals(new double[] {-9, -19, -29, -8, -18, -28}, eval(a.sub(b), a, av, b, bv));
        assertArrayEquals(new double[] {10, 20, 30, 20, 40, 60}, eval(a.mul(b), a, av, b, bv));
        assertArrayEquals(new double[] {10, 20, 30, 5, 10, 15}, eval(b.div(a), a, av, b, bv));
        assertArrayEquals(new double[] {1, 1, 1, 2, 2, 2}, eval(a.min(b), a, av, b, bv));
        assertArrayEquals(new double[] {10, 20, 30, 10, 20, 30}, eval(a.max(b), a, av, b, bv));
        assertArrayEquals(new double[] {1, 4}, eval(a.pow(2.0), a, av));
    }

    @Test void compareAndSelect() {
        Tensor a = g.input("a", 3), b = g.input("b", 3);
        NdArray av = arr(dims(3), 1, 2, 3), bv = arr(dims(3), 2, 2, 2);
        assertArrayEquals(new double[] {1, 0, 0}, eval(a.lt(b), a, av, b, bv));
        assertArrayEquals(new double[] {1, 1, 0}, eval(a.le(b), a, av, b, bv));
        assertArrayEquals(new double[] {0, 0, 1}, eval(a.gt(b), a, av, b, bv));
        assertArrayEquals(new double[] {0, 1, 1}, eval(a.ge(b), a, av, b, bv));
        assertArrayEquals(new double[] {0, 1, 0}, eval(a.eq(b), a, av, b, bv));
        assertArrayEquals(new double[] {2, 2, 3}, eval(a.gt(b).select(a, b), a, av, b, bv));
    }

    @Test void iotaAndConstants() {
        assertArrayEquals(new double[] {0, 1, 2, 0, 1, 2}, eval(g.add(new Iota(Shape.of(2, 3), 1))));
        assertArrayEquals(new double[] {0, 0, 0, 1, 1, 1}, eval(g.iota(Shape.of(2, 3), 0)));
        assertArrayEquals(new double[] {7, 7}, eval(g.fill(7, 2)));
        assertArrayEquals(new double[] {1, 2, 3}, eval(g.constant(Shape.of(3), 1, 2, 3)));
    }

    @Test void broadcastInDimMapsAxes() {
        Tensor x = g.input("x", 2);
        // output axis 0 takes input axis 0; axis 1 repeats.
        assertArrayEquals(new double[] {1, 1, 1, 2, 2, 2}, eval(x.broadcastInDim(Shape.of(2, 3), 0), x, arr(dims(2), 1, 2)));
        assertArrayEquals(new double[] {1, 2, 1, 2, 1, 2}, eval(x.broadcastInDim(Shape.of(3, 2), 1), x, arr(dims(2), 1, 2)));
        Tensor s = g.input("s", 1);
        assertArrayEquals(new double[] {5, 5, 5}, eval(s.broadcastInDim(Shape.of(3), 0), s, arr(dims(1), 5)));
    }

    @Test void reductions() {
        Tensor x = g.input("x", 2, 3);
        NdArray v = arr(dims(2, 3), 1, 5, 3, 4, 2, 6);
        assertArrayEquals(new double[] {5, 7, 9}, eval(x.sum(0), x, v));
        assertArrayEquals(new double[] {9, 12}, eval(x.sum(1), x, v));
        assertArrayEquals(new double[] {21}, eval(x.sum(), x, v));
        assertArrayEquals(new double[] {5, 6}, eval(x.reduceMax(1), x, v));
        assertArrayEquals(new double[] {4, 5, 6}, eval(x.reduceMax(0), x, v));
        assertArrayEquals(new double[] {3, 4}, eval(x.mean(new int[] {1}, true), x, v));
        assertEquals(Shape.of(2, 1), x.mean(new int[] {1}, true).shape());
        assertArrayEquals(new double[] {1, 5, 3, 4, 2, 6}, eval(x.sum(new int[0], false).reshape(2, 3), x, v));
    }

    @Test void dotGeneralMatmulAndBatch() {
        Tensor a = g.input("a", 2, 3), b = g.input("b", 3, 2);
        NdArray av = arr(dims(2, 3), 1, 2, 3, 4, 5, 6), bv = arr(dims(3, 2), 7, 8, 9, 10, 11, 12);
        assertArrayEquals(new double[] {58, 64, 139, 154}, eval(a.matmul(b), a, av, b, bv));
        // Contract axis 0 of a^T-like layout: a[3,2] . b[3,2] over axis 0 -> [2,2] = a^T b.
        Tensor c = g.input("c", 3, 2);
        Tensor ctb = g.add(new DotGeneral(Ints.of(0), Ints.of(0), Ints.of(), Ints.of()), c, b);
        NdArray cv = arr(dims(3, 2), 1, 4, 2, 5, 3, 6);
        assertArrayEquals(new double[] {58, 64, 139, 154}, eval(ctb, c, cv, b, bv));
        // Batch: [2,1,2] x [2,2,1] per batch.
        Tensor p = g.input("p", 2, 1, 2), q = g.input("q", 2, 2, 1);
        Tensor pq = p.dotGeneral(q, new int[] {2}, new int[] {1}, new int[] {0}, new int[] {0});
        assertEquals(Shape.of(2, 1, 1), pq.shape());
        assertArrayEquals(new double[] {1 * 5 + 2 * 6, 3 * 7 + 4 * 8},
                eval(pq, p, arr(dims(2, 1, 2), 1, 2, 3, 4), q, arr(dims(2, 2, 1), 5, 6, 7, 8)));
        // numpy matmul corner cases: vector x vector, vector x matrix.
        Tensor u = g.input("u", 3);
        assertEquals(Shape.SCALAR, u.matmul(u).shape());
        assertArrayEquals(new double[] {14}, eval(u.matmul(u), u, arr(dims(3), 1, 2, 3)));
        assertArrayEquals(new double[] {1 * 7 + 2 * 9 + 3 * 11, 1 * 8 + 2 * 10 + 3 * 12},
                eval(u.matmul(b), u, arr(dims(3), 1, 2, 3), b, bv));
    }

    @Test void movement() {
        Tensor x = g.input("x", 2, 3);
        NdArray v = arr(dims(2, 3), 1, 2, 3, 4, 5, 6);
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, eval(x.transpose(1, 0), x, v));
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, eval(x.reshape(3, 2), x, v));
        assertArrayEquals(new double[] {3, 2, 1, 6, 5, 4}, eval(x.rev(1), x, v));
        assertArrayEquals(new double[] {6, 5, 4, 3, 2, 1}, eval(x.rev(0, 1), x, v));
        assertArrayEquals(new double[] {1, 3, 4, 6}, eval(x.slice(new int[] {0, 0}, new int[] {2, 3}, new int[] {1, 2}), x, v));
        assertArrayEquals(new double[] {5, 6}, eval(x.slice(new int[] {1, 1}, new int[] {2, 3}), x, v));
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 1, 2, 3}, eval(Tensor.concatenate(0, x, x.slice(new int[] {0, 0}, new int[] {1, 3})), x, v));
        assertArrayEquals(new double[] {1, 2, 3, 1, 4, 5, 6, 4}, eval(Tensor.concatenate(1, x, x.slice(new int[] {0, 0}, new int[] {2, 1})), x, v));
    }

    @Test void padWithInteriorAndNegativeEdges() {
        // SCHEMA.md example: x=[a,b,c], interior 2, lo -2, hi -1 -> [0,b,0,0].
        Tensor x = g.input("x", 3);
        NdArray v = arr(dims(3), 1, 2, 3);
        Tensor p = g.add(new Pad(Ints.of(-2), Ints.of(-1), Ints.of(2)), x);
        assertEquals(Shape.of(4), p.shape());
        assertArrayEquals(new double[] {0, 2, 0, 0}, eval(p, x, v));
        assertArrayEquals(new double[] {0, 1, 0, 2, 0, 3, 0, 0}, eval(x.pad(new int[] {1}, new int[] {2}, new int[] {1}), x, v));
        assertArrayEquals(new double[] {9, 1, 9, 2, 9, 3, 9}, eval(x.pad(new int[] {1}, new int[] {1}, new int[] {1}, 9.0), x, v));
        assertArrayEquals(new double[] {1, 0, 0, 2, 0, 0, 3}, eval(x.dilate(3), x, v));
        assertArrayEquals(new double[] {1, 3}, eval(x.stride(2), x, v));
    }

    @Test void convOneDimensionByHand() {
        // x = [1,2,3,4] (N=1, Cin=1), k = [1,10] (K=2, Cin=1, Cout=1): correlation -> [21, 32, 43].
        Tensor x = g.input("x", 1, 4, 1), k = g.input("k", 2, 1, 1);
        NdArray xv = arr(dims(1, 4, 1), 1, 2, 3, 4), kv = arr(dims(2, 1, 1), 1, 10);
        assertArrayEquals(new double[] {21, 32, 43}, eval(g.add(Conv.simple(1), x, k), x, xv, k, kv));
        // stride 2, pad 1/1: padded [0,1,2,3,4,0] -> windows at 0, 2, 4: [10, 32, 4].
        Conv strided = new Conv(Ints.of(2), Ints.of(1), Ints.of(1), Ints.of(1), Ints.of(1), 1);
        assertArrayEquals(new double[] {10, 32, 4}, eval(g.add(strided, x, k), x, xv, k, kv));
        // lhs dilation 2: [1,0,2,0,3,0,4] -> [1, 20, 2, 30, 3, 40].
        Conv dilatedInput = new Conv(Ints.of(1), Ints.of(0), Ints.of(0), Ints.of(2), Ints.of(1), 1);
        assertArrayEquals(new double[] {1, 20, 2, 30, 3, 40}, eval(g.add(dilatedInput, x, k), x, xv, k, kv));
        // rhs dilation 2: taps at offsets 0 and 2: [1+30, 2+40].
        Conv dilatedKernel = new Conv(Ints.of(1), Ints.of(0), Ints.of(0), Ints.of(1), Ints.of(2), 1);
        assertArrayEquals(new double[] {31, 42}, eval(g.add(dilatedKernel, x, k), x, xv, k, kv));
        // negative padding crops: drop the first element -> [2,3,4] -> [32, 43].
        Conv cropped = new Conv(Ints.of(1), Ints.of(-1), Ints.of(0), Ints.of(1), Ints.of(1), 1);
        assertArrayEquals(new double[] {32, 43}, eval(g.add(cropped, x, k), x, xv, k, kv));
    }

    @Test void convGroupsKeepChannelBlocksApart() {
        // Cin = 2, Cout = 2, groups 2, 1x1 kernel: out channel c = x channel c * k[0, 0, c].
        Tensor x = g.input("x", 1, 2, 2), k = g.input("k", 1, 1, 2);
        Conv grouped = new Conv(Ints.of(1), Ints.of(0), Ints.of(0), Ints.of(1), Ints.of(1), 2);
        assertArrayEquals(new double[] {1 * 10, 2 * 100, 3 * 10, 4 * 100},
                eval(g.add(grouped, x, k), x, arr(dims(1, 2, 2), 1, 2, 3, 4), k, arr(dims(1, 1, 2), 10, 100)));
    }

    @Test void onlyNeededNodesAreEvaluatedAndFeedsAreChecked() {
        Tensor x = g.input("x", 2), unused = g.input("unused", 5);
        Tensor y = x.mul(2.0);
        unused.log();
        assertArrayEquals(new double[] {2, 4}, eval(y, x, arr(dims(2), 1, 2)));
        var missing = assertThrows(IllegalArgumentException.class, () -> Interpreter.run(g, Map.of(), List.of(y)));
        assertTrue(missing.getMessage().contains("input \"x\" [2]"), missing.getMessage());
        assertTrue(missing.getMessage().contains("InterpreterTest.java:"), missing.getMessage());
        var wrong = assertThrows(IllegalArgumentException.class,
                () -> Interpreter.run(g, Map.of(x, arr(dims(3), 1, 2, 3)), List.of(y)));
        assertTrue(wrong.getMessage().contains("fed shape [3] but is declared [2]"), wrong.getMessage());
    }

    @Test void emptyTensorsAreFine() {
        Tensor x = g.input("x", 0, 3);
        assertEquals(0, eval(x.exp(), x, arr(dims(0, 3))).length);
        assertArrayEquals(new double[] {0, 0, 0}, eval(x.sum(0), x, arr(dims(0, 3))));
    }
}
