package dev.adjoint.cpu;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.UnaryFn;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.kernels.WorkSplitter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every primitive through a compiled plan against the float64 interpreter, on random data and odd
 * sizes (around the 16-float vector length, size-1 axes, scalars), with one thread and with the pool.
 */
class PlanPrimitivesTest {
    private static final int[] SIZES = {1, 15, 16, 17, 33, 257};

    private static WorkSplitter splitter(boolean pooled) { return pooled ? Cpu.defaultPool() : WorkSplitter.SERIAL; }

    @ParameterizedTest @ValueSource(booleans = {false, true})
    void unaryFunctions(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int n : SIZES) {
            for (UnaryFn fn : UnaryFn.values()) {
                Graph g = new Graph();
                Tensor x = g.input("x", n);
                boolean positive = fn == UnaryFn.LOG || fn == UnaryFn.SQRT || fn == UnaryFn.RSQRT;
                Oracle.check(List.of(g.add(new Unary(fn), x)), Map.of(x, Oracle.random(rnd, x.shape(), positive ? 0.1 : -3, 3)),
                        1e-5, splitter(pooled));
            }
        }
    }

    @ParameterizedTest @ValueSource(booleans = {false, true})
    void binaryCompareSelectWithBroadcasts(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(2);
        int[][][] pairs = {{{3, 17}, {3, 17}}, {{5, 1, 33}, {4, 33}}, {{}, {2, 3}}, {{16}, {7, 16}}, {{4, 1}, {1, 15}}};
        for (int[][] p : pairs) {
            Graph g = new Graph();
            Tensor a = g.input("a", p[0]), b = g.input("b", p[1]);
            List<Tensor> outs = List.of(a.add(b), a.sub(b), a.mul(b), a.div(b), a.max(b), a.min(b), a.abs().add(0.5).pow(b),
                    a.lt(b), a.le(b), a.gt(b), a.ge(b), a.eq(a), a.gt(b).select(a, b));
            Oracle.check(outs, Map.of(a, Oracle.random(rnd, a.shape(), -2, 2), b, Oracle.random(rnd, b.shape(), 0.5, 2)),
                    1e-5, splitter(pooled));
        }
    }

    @ParameterizedTest @ValueSource(booleans = {false, true})
    void fusedChainsAndSharedSubexpressions(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor x = g.input("x", 3, n), b = g.input("b", n);
            Tensor h = x.mul(2.0).add(b).tanh();          // one fused pass, b read with stride 0 on axis 0
            Tensor shared = h.exp();                      // used twice: a root of its own
            Tensor y = shared.add(shared.mul(h)).relu().sigmoid();
            Oracle.check(List.of(y, h), Map.of(x, Oracle.random(rnd, x.shape(), -1, 1), b, Oracle.random(rnd, b.shape(), -1, 1)),
                    1e-5, splitter(pooled));
        }
    }

    @ParameterizedTest @ValueSource(booleans = {false, true})
    void reductionsOverAnyAxes(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor x = g.input("x", 2, n, 3);
            List<Tensor> outs = List.of(x.sum(0), x.sum(1), x.sum(2), x.sum(0, 2), x.sum(), x.reduceMax(1), x.reduceMax(0, 2),
                    x.transpose(2, 0, 1).sum(2), x.mean(new int[] {1}, true));
            Oracle.check(outs, Map.of(x, Oracle.random(rnd, x.shape(), -1, 1)), 1e-5, splitter(pooled));
        }
    }

    @ParameterizedTest @ValueSource(booleans = {false, true})
    void dotGeneralLayouts(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {1, 17, 33}) {
            Graph g = new Graph();
            Tensor a = g.input("a", n, 19), b = g.input("b", 19, 15), bt = g.input("bt", 15, 19);
            Tensor p = g.input("p", 3, n, 5), q = g.input("q", 3, 5, 7), r = g.input("r", 5, 3, 7);
            List<Tensor> outs = List.of(
                    a.matmul(b),                                                  // plain
                    a.matmul(bt.mT()),                                            // transposed B, folded into strides
                    a.mT().mT().matmul(b).mT(),                                   // transposed output
                    p.matmul(q),                                                  // batched
                    p.dotGeneral(r, new int[] {2}, new int[] {0}, new int[] {0}, new int[] {1}),  // batch axis not leading on r
                    a.sum(1).matmul(a),                                           // vector x matrix
                    p.dotGeneral(p, new int[] {1, 2}, new int[] {1, 2}, new int[0], new int[0])); // two contracting axes
            Map<Tensor, NdArray> feeds = new HashMap<>();
            for (Tensor t : List.of(a, b, bt, p, q, r)) feeds.put(t, Oracle.random(rnd, t.shape(), -1, 1));
            Oracle.check(outs, feeds, 1e-5, splitter(pooled));
        }
    }

    @ParameterizedTest @ValueSource(booleans = {false, true})
    void movement(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor x = g.input("x", 3, n);
            List<Tensor> outs = List.of(
                    x.transpose(1, 0), x.reshape(n, 3), x.rev(1), x.rev(0, 1),
                    x.slice(new int[] {1, 0}, new int[] {3, n}, new int[] {1, 2}),
                    x.stride(2, 3).exp(),
                    g.add(new Pad(Ints.of(1, -1), Ints.of(-1, 2), Ints.of(0, 1)), x),
                    x.dilate(2, 1),
                    Tensor.concatenate(1, x, x.neg(), x.slice(new int[] {0, 0}, new int[] {3, 1})),
                    x.broadcastInDim(Shape.of(2, 3, n), 1, 2).sum(0),
                    g.iota(Shape.of(3, n), 1).mul(x),
                    x.transpose(1, 0).reshape(3 * n));
            Oracle.check(outs, Map.of(x, Oracle.random(rnd, x.shape(), -1, 1)), 1e-6, splitter(pooled));
        }
    }

    @ParameterizedTest @ValueSource(booleans = {false, true})
    void convolutions(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(7);
        Conv[] convs = {
            Conv.simple(2),
            new Conv(Ints.of(2, 1), Ints.of(1, 0), Ints.of(1, 2), Ints.of(1, 1), Ints.of(1, 2), 1),
            new Conv(Ints.of(1, 1), Ints.of(-1, 2), Ints.of(0, 1), Ints.of(2, 1), Ints.of(1, 1), 1),
            new Conv(Ints.of(1, 2), Ints.of(1, 1), Ints.of(1, 1), Ints.of(1, 1), Ints.of(1, 1), 3),
        };
        for (Conv c : convs) {
            Graph g = new Graph();
            Tensor x = g.input("x", 2, 7, 6, 6), k = g.input("k", 3, 2, 6 / c.groups(), 9);
            Oracle.check(List.of(g.add(c, x, k)), Map.of(x, Oracle.random(rnd, x.shape(), -1, 1), k, Oracle.random(rnd, k.shape(), -1, 1)),
                    1e-5, splitter(pooled));
        }
    }
}
