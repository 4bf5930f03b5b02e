package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every primitive through a compiled plan against the float64 interpreter, on random data and odd
 * sizes (around the vector lengths, size-1 axes, scalars), in f32 and f64, with one thread and
 * with the pool. Integer and bool results must match exactly.
 */
class PlanPrimitivesTest {
    private static final int[] SIZES = {1, 15, 16, 17, 33, 257};

    private static WorkSplitter splitter(boolean pooled) { return pooled ? Cpu.defaultPool() : WorkSplitter.SERIAL; }

    /** f32 results are checked to 1e-5 of the output's scale, f64 ones to 1e-11. */
    private static double tol(DType t) { return t == DType.F32 ? 1e-5 : 1e-11; }

    private static NdArray rand(SplittableRandom rnd, Tensor t, double lo, double hi) { return Oracle.random(rnd, t.dtype(), t.shape(), lo, hi); }

    @ParameterizedTest @CsvSource({"F32,false", "F32,true", "F64,false", "F64,true"})
    void unaryFunctions(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int n : SIZES) {
            for (UnaryFn fn : UnaryFn.values()) {
                if (fn == UnaryFn.NOT) continue;  // bool and integers: see integerOps and boolOps
                Graph g = new Graph();
                Tensor x = g.input("x", type, n);
                boolean positive = fn == UnaryFn.LOG || fn == UnaryFn.SQRT || fn == UnaryFn.RSQRT;
                NdArray v = rand(rnd, x, positive ? 0.1 : fn == UnaryFn.LOG1P ? -0.9 : -3, 3);
                if (fn == UnaryFn.ROUND || fn == UnaryFn.FLOOR || fn == UnaryFn.CEIL) {
                    // halves and integers: ties must round to even, exact values must stay
                    for (int i = 0; i < v.data().length; i += 2) v.data()[i] = Math.floor(v.data()[i] * 2) / 2;
                }
                Oracle.check(List.of(g.add(new Unary(fn), x)), Map.of(x, v), tol(type), splitter(pooled));
            }
        }
    }

    @ParameterizedTest @CsvSource({"F32,false", "F32,true", "F64,false", "F64,true"})
    void binaryCompareSelectWithBroadcasts(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(2);
        int[][][] pairs = {{{3, 17}, {3, 17}}, {{5, 1, 33}, {4, 33}}, {{}, {2, 3}}, {{16}, {7, 16}}, {{4, 1}, {1, 15}}};
        for (int[][] p : pairs) {
            Graph g = new Graph();
            Tensor a = g.input("a", type, p[0]), b = g.input("b", type, p[1]);
            List<Tensor> outs = List.of(a.add(b), a.sub(b), a.mul(b), a.div(b), a.max(b), a.min(b), a.abs().add(0.5).pow(b),
                    a.rem(b), a.lt(b), a.le(b), a.gt(b), a.ge(b), a.eq(a), a.ne(b), a.ne(a), a.gt(b).select(a, b),
                    a.gt(b).convert(type).mul(b), a.lt(b).and(a.gt(0.0)), a.lt(b).or(a.gt(0.0)).not());
            Oracle.check(outs, Map.of(a, rand(rnd, a, -2, 2), b, rand(rnd, b, 0.5, 2)), tol(type), splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"F32,false", "F32,true", "F64,false", "F64,true"})
    void fusedChainsAndSharedSubexpressions(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor x = g.input("x", type, 3, n), b = g.input("b", type, n);
            Tensor h = x.mul(2.0).add(b).tanh();          // one fused pass, b read with stride 0 on axis 0
            Tensor shared = h.exp();                      // used twice: a root of its own
            Tensor y = shared.add(shared.mul(h)).relu().sigmoid();
            Tensor z = h.sin().mul(h.cos()).add(h.erf()).sub(h.atan());
            Oracle.check(List.of(y, h, z), Map.of(x, rand(rnd, x, -1, 1), b, rand(rnd, b, -1, 1)), tol(type), splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"F32,false", "F32,true", "F64,false", "F64,true"})
    void reductionsOverAnyAxes(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor x = g.input("x", type, 2, n, 3);
            List<Tensor> outs = List.of(x.sum(0), x.sum(1), x.sum(2), x.sum(0, 2), x.sum(), x.reduceMax(1), x.reduceMax(0, 2),
                    x.transpose(2, 0, 1).sum(2), x.mean(new int[] {1}, true), x.reduceMin(1), x.reduceMin(0, 2), x.reduceMin(),
                    x.prod(1), x.prod(0, 2), x.mT().prod(0), x.argmax(1), x.argmin(1), x.argmax(0), x.argmin(2, true),
                    x.transpose(2, 1, 0).argmax(1));
            NdArray v = rand(rnd, x, 0.6, 1.5);
            // ties: every third value repeats its neighbour, so the first index must win
            for (int i = 3; i < v.data().length; i += 3) v.data()[i] = v.data()[i - 1];
            Oracle.check(outs, Map.of(x, v), tol(type), splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"F32", "F64"})
    void argmaxTreatsNaNAsTheExtremum(DType type) {
        Graph g = new Graph();
        Tensor x = g.input("x", type, 2, 5);
        double nan = Double.NaN;
        NdArray v = new NdArray(type, x.shape(), new double[] {1, nan, 3, nan, 0, 2, 2, -1, 2, 5});
        Oracle.check(List.of(x.argmax(1), x.argmin(1), x.argmax(0)), Map.of(x, v), 0, WorkSplitter.SERIAL);
    }

    @ParameterizedTest @CsvSource({"F32,false", "F32,true", "F64,false", "F64,true"})
    void dotGeneralLayouts(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {1, 17, 33}) {
            Graph g = new Graph();
            Tensor a = g.input("a", type, n, 19), b = g.input("b", type, 19, 15), bt = g.input("bt", type, 15, 19);
            Tensor p = g.input("p", type, 3, n, 5), q = g.input("q", type, 3, 5, 7), r = g.input("r", type, 5, 3, 7);
            Tensor big = g.input("big", type, 9, 150), wide = g.input("wide", type, 150, 530);
            List<Tensor> outs = List.of(
                    a.matmul(b),                                                  // plain
                    a.matmul(bt.mT()),                                            // transposed B, folded into strides
                    a.mT().mT().matmul(b).mT(),                                   // transposed output
                    p.matmul(q),                                                  // batched
                    p.dotGeneral(r, new int[] {2}, new int[] {0}, new int[] {0}, new int[] {1}),  // batch axis not leading on r
                    a.sum(1).matmul(a),                                           // vector x matrix
                    p.dotGeneral(p, new int[] {1, 2}, new int[] {1, 2}, new int[0], new int[0]), // two contracting axes
                    big.matmul(wide));                                            // more than one packed block of B
            Map<Tensor, NdArray> feeds = new HashMap<>();
            for (Tensor t : List.of(a, b, bt, p, q, r, big, wide)) feeds.put(t, rand(rnd, t, -1, 1));
            Oracle.check(outs, feeds, tol(type), splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"F32,false", "F32,true", "F64,false", "F64,true", "I32,false", "I64,true", "BOOL,false"})
    void movement(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor x = g.input("x", type, 3, n);
            List<Tensor> outs = new ArrayList<>(List.of(
                    x.transpose(1, 0), x.reshape(n, 3), x.rev(1), x.rev(0, 1),
                    x.slice(new int[] {1, 0}, new int[] {3, n}, new int[] {1, 2}),
                    g.add(new Pad(Ints.of(1, -1), Ints.of(-1, 2), Ints.of(0, 1)), x),
                    g.add(new Pad(Ints.of(0, 2), Ints.of(1, -3), Ints.of(2, 0)), x),
                    x.dilate(2, 1),
                    Tensor.concatenate(1, x, x.rev(0), x.slice(new int[] {0, 0}, new int[] {3, 1})),
                    x.broadcastInDim(Shape.of(2, 3, n), 1, 2).transpose(2, 0, 1),
                    x.transpose(1, 0).reshape(3 * n), x.stopGradient().rev(1),
                    Tensor.concatenate(0, x, g.constant(type, Shape.of(1, n), ramp(n)))));
            if (type.isFloat()) {
                outs.add(x.stride(2, 3).exp());
                outs.add(x.broadcastInDim(Shape.of(2, 3, n), 1, 2).sum(0));
                outs.add(g.iota(Shape.of(3, n), 1, type).mul(x));
            }
            if (type.isInteger()) outs.add(g.iota(Shape.of(3, n), 1, type).mul(x));
            Oracle.check(outs, Map.of(x, rand(rnd, x, type.isFloat() ? -1 : -100, type.isFloat() ? 1 : 100)), 1e-6, splitter(pooled));
        }
    }

    private static double[] ramp(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = i % 2;  // 0/1: valid for every type, bool included
        return v;
    }

    @ParameterizedTest @CsvSource({"F32,false", "F32,true", "F64,false", "F64,true"})
    void convolutions(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(7);
        Conv[] convs = {
            Conv.simple(2),
            new Conv(Ints.of(2, 1), Ints.of(1, 0), Ints.of(1, 2), Ints.of(1, 1), Ints.of(1, 2), 1),
            new Conv(Ints.of(1, 1), Ints.of(-1, 2), Ints.of(0, 1), Ints.of(2, 1), Ints.of(1, 1), 1),
            new Conv(Ints.of(1, 2), Ints.of(1, 1), Ints.of(1, 1), Ints.of(1, 1), Ints.of(1, 1), 3),
        };
        for (Conv c : convs) {
            Graph g = new Graph();
            Tensor x = g.input("x", type, 2, 7, 6, 6), k = g.input("k", type, 3, 2, 6 / c.groups(), 9);
            Oracle.check(List.of(g.add(c, x, k)), Map.of(x, rand(rnd, x, -1, 1), k, rand(rnd, k, -1, 1)), tol(type), splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"F32,false", "F64,true", "I32,false", "I64,true"})
    void cumsumBothDirections(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor x = g.input("x", type, 3, n);
            List<Tensor> outs = List.of(x.cumsum(0), x.cumsum(1), x.cumsum(0, true), x.cumsum(1, true), x.mT().cumsum(1),
                    x.rev(1).cumsum(1, true));
            Oracle.check(outs, Map.of(x, rand(rnd, x, -50, 50)), tol(type.isFloat() ? type : DType.F64), splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"F32,I32,false", "F32,I64,true", "F64,I32,true", "F64,I64,false", "I32,I32,false", "I64,I64,true"})
    void gatherTakeAlongAxisAndScatterAdd(DType type, DType index, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int n : new int[] {1, 5, 17}) {
            Graph g = new Graph();
            Tensor x = g.input("x", type, 4, n, 3);
            Tensor ids = g.input("ids", index, 2, 7);                  // any index shape, repeated ids
            Tensor along = g.input("along", index, 4, n, 2);          // take_along_axis on axis 2, smaller than x there
            Tensor rows = g.input("rows", index, 9, n, 3);            // scatter targets along axis 0
            Tensor upd = g.input("upd", type, 9, n, 3);
            Tensor idsRow = g.input("idsRow", index, 6);
            Tensor updRows = g.input("updRows", type, 6, n, 3);
            List<Tensor> outs = List.of(
                    x.gather(ids, 0), x.gather(ids, 1), x.gather(ids.slice(new int[] {0, 0}, new int[] {1, 1}).reshape(), 2),
                    x.mT().gather(ids, 2),
                    x.takeAlongAxis(along, 2), x.mT().takeAlongAxis(along.transpose(0, 2, 1), 1),
                    x.scatterAdd(rows.slice(new int[] {0, 0, 0}, new int[] {9, n, 3}).rem(rows.mul(0).add(4)), upd, 0),
                    g.fill(0, type, 4, n, 3).scatterAdd(idsRow.broadcastInDim(Shape.of(6, n, 3), 0), updRows, 0),
                    x.scatterAdd(along, x.slice(new int[] {0, 0, 0}, new int[] {4, n, 2}), 2));
            Map<Tensor, NdArray> feeds = new HashMap<>();
            feeds.put(x, rand(rnd, x, -9, 9));
            feeds.put(ids, Oracle.random(rnd, index, ids.shape(), 0, Math.min(4, n)));
            feeds.put(along, Oracle.random(rnd, index, along.shape(), 0, 3));
            feeds.put(rows, Oracle.random(rnd, index, rows.shape(), 0, 4));
            feeds.put(upd, rand(rnd, upd, -9, 9));
            feeds.put(idsRow, Oracle.random(rnd, index, idsRow.shape(), 0, 4));
            feeds.put(updRows, rand(rnd, updRows, -9, 9));
            Oracle.check(outs, feeds, tol(type.isFloat() ? type : DType.F64), splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"I32,false", "I32,true", "I64,false", "I64,true"})
    void integerOps(DType type, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(10);
        // i32 values span the whole range, so sums and products wrap; i64 stays within the interpreter's exact +-2^53
        double range = type == DType.I32 ? 2147483648.0 : 1e6;
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor a = g.input("a", type, 3, n), b = g.input("b", type, n), s = g.input("s", type, n);
            Tensor nz = b.eq(0.0).select(b.add(1.0), b);
            List<Tensor> outs = List.of(a.add(b), a.sub(b), a.mul(b), a.div(nz), a.rem(nz), a.max(b), a.min(b), a.abs(), a.neg(),
                    a.sign(), a.and(b), a.or(b), a.xor(b), a.not(), a.shiftLeft(3), a.abs().shiftRightLogical(5), a.shiftRightLogical(type == DType.I32 ? 5 : 0), a.shiftRightArithmetic(5),
                    a.shiftLeft(1).add(a.shiftRightArithmetic(2)).mul(a).sub(b),
                    a.lt(b), a.le(b), a.gt(b), a.ge(b), a.eq(b), a.ne(b), a.gt(b).select(a, b),
                    a.sum(0), a.sum(), a.reduceMax(1), a.reduceMin(0), s.prod(), a.argmax(1), a.argmin(0),
                    a.convert(DType.F32), a.convert(DType.F64), a.convert(DType.I32), a.convert(DType.I64), a.convert(DType.BOOL),
                    a.add(2.0).mul(g.iota(Shape.of(3, n), 0, type)));
            Map<Tensor, NdArray> feeds = new HashMap<>();
            feeds.put(a, Oracle.random(rnd, type, a.shape(), -range, range));
            feeds.put(b, Oracle.random(rnd, type, b.shape(), -range, range));
            feeds.put(s, Oracle.random(rnd, type, s.shape(), -3, 4));
            if (type == DType.I64) feeds.put(s, Oracle.random(rnd, type, s.shape(), -1, 2));
            Oracle.check(outs, feeds, 1e-6, splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"false", "true"})
    void boolOps(boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n : SIZES) {
            Graph g = new Graph();
            Tensor p = g.input("p", DType.BOOL, 2, n), q = g.input("q", DType.BOOL, n), x = g.input("x", 2, n);
            List<Tensor> outs = List.of(p.and(q), p.or(q), p.xor(q), p.not(), p.eq(q), p.ne(q), p.and(q).or(p.not()),
                    p.select(x, x.neg()), p.select(p, q.broadcastTo(2, n)), p.convert(DType.F32).mul(x), p.convert(DType.F64),
                    p.convert(DType.I32).add(g.constant(1, DType.I32)), p.convert(DType.I64), x.gt(0.0).and(p), x.gt(0.0).xor(p).convert(DType.F32),
                    x.convert(DType.BOOL), x.convert(DType.I32), x.mul(100.0).convert(DType.I64), x.convert(DType.F64).convert(DType.F32));
            Map<Tensor, NdArray> feeds = new HashMap<>();
            feeds.put(p, Oracle.random(rnd, DType.BOOL, p.shape(), 0, 1));
            feeds.put(q, Oracle.random(rnd, DType.BOOL, q.shape(), 0, 1));
            NdArray xv = Oracle.random(rnd, DType.F32, x.shape(), -2, 2);
            xv.data()[0] = 0;
            feeds.put(x, xv);
            Oracle.check(outs, feeds, 1e-6, splitter(pooled));
        }
    }

    @ParameterizedTest @CsvSource({"F32", "F64"})
    void convertsTruncateAndSaturate(DType from) {
        Graph g = new Graph();
        Tensor x = g.input("x", from, 8);
        double[] v = {1.5, -2.7, Double.NaN, 3e9, -3e9, 1e15 + 0.5, -0.0, 7};
        if (from == DType.F32) for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
        Oracle.check(List.of(x.convert(DType.I32), x.convert(DType.I64), x.convert(DType.BOOL)),
                Map.of(x, new NdArray(from, x.shape(), v)), 0, WorkSplitter.SERIAL);
    }

    @org.junit.jupiter.api.Test
    void f64ToF32RoundsToNearest() {
        // The interpreter keeps float values in float64; the executor stores f32, so the round trip rounds.
        Graph g = new Graph();
        Tensor x = g.input("x", DType.F64, 3);
        Plan plan = Cpu.compile(List.of(x.convert(DType.F32), x.convert(DType.F32).convert(DType.F64)));
        double[] v = {-2.7, 1.0 / 3, 1e300};
        plan.run((Object) v);
        for (int i = 0; i < v.length; i++) {
            org.junit.jupiter.api.Assertions.assertEquals((float) v[i], plan.output(0)[i]);
            org.junit.jupiter.api.Assertions.assertEquals((double) (float) v[i], plan.outputF64(1)[i]);
        }
    }

    @ParameterizedTest @CsvSource({"false", "true"})
    void randomBitsMatchTheInterpreter(boolean pooled) {
        for (int n : new int[] {1, 7, 16, 40001}) {
            Graph g = new Graph();
            Tensor key = g.input("key", DType.I32, 2);
            Tensor bits = g.add(new dev.adjoint.graph.op.RandomBits(Shape.of(n)), key);
            Map<Tensor, NdArray> feeds = Map.of(key, new NdArray(DType.I32, key.shape(), new double[] {42, -7}));
            Oracle.check(List.of(bits, bits.shiftRightLogical(9).convert(DType.F32)), feeds, 1e-7, splitter(pooled));
        }
    }
}
