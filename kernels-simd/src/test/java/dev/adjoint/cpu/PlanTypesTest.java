package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Typed plans: f64 random graphs, feeds and outputs of every type, run-time errors, thread-count independence. */
class PlanTypesTest {

    /** Random f64 graphs in the style of graph-core's RandomGraphs (which builds f32 ones). */
    @Test void randomF64GraphsMatchTheInterpreter() {
        for (long seed = 0; seed < 150; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            Graph g = new Graph();
            Map<Tensor, NdArray> feeds = new HashMap<>();
            List<Tensor> pool = new ArrayList<>();
            int[][] shapes = {{3, 4}, {4}, {3, 1}, {2, 3, 4}, {}, {17, 5}};
            for (int i = 0; i < 3; i++) {
                int[] dims = shapes[rnd.nextInt(shapes.length)];
                Tensor x = g.input("x" + i, DType.F64, dims);
                feeds.put(x, Oracle.random(rnd, DType.F64, x.shape(), -1, 1));
                pool.add(x);
            }
            for (int s = 0; s < 25; s++) {
                Tensor a = pool.get(rnd.nextInt(pool.size())), b = pool.get(rnd.nextInt(pool.size()));
                Tensor t;
                try {
                    t = switch (rnd.nextInt(18)) {
                        case 0 -> a.add(b);
                        case 1 -> a.mul(b);
                        case 2 -> a.sub(b).tanh();
                        case 3 -> a.div(b.abs().add(1.0));
                        case 4 -> a.abs().add(0.5).log();
                        case 5 -> a.abs().sqrt().erf();
                        case 6 -> a.rank() > 0 ? a.sum(rnd.nextInt(a.rank())) : a.exp().min(3.0);
                        case 7 -> a.rank() > 0 ? a.reduceMin(a.rank() - 1) : a.neg().neg();
                        case 8 -> a.rank() >= 2 ? a.mT().mT().mul(1.0) : a.sigmoid();
                        case 9 -> a.rank() == 2 && b.rank() == 2 ? a.matmul(b.mT()) : a.max(b);
                        case 10 -> a.rank() >= 1 ? a.rev(0).add(0.0) : a.mul(a);
                        case 11 -> a.rank() >= 1 ? a.pad(Ints.filled(a.rank(), 1).toArray(), new int[a.rank()], Ints.filled(a.rank(), 1).toArray()) : a;
                        case 12 -> a.rank() >= 1 ? a.cumsum(a.rank() - 1, rnd.nextBoolean()) : a.sign();
                        case 13 -> a.gt(b).select(a, b.mul(2.0));
                        case 14 -> a.rank() >= 1 ? Tensor.concatenate(0, a, a.neg()) : a.add(g.constant(2, DType.F64).mul(3.0));
                        case 15 -> a.rank() >= 1 ? a.gather(a.argmax(0), 0) : a.cos();
                        case 16 -> a.rank() >= 1 ? a.prod(0).sin() : a.atan();
                        default -> a.reshape(a.shape().size()).mul(g.constant(1.0, DType.F64));
                    };
                } catch (ShapeException e) {
                    continue;
                }
                if (t.shape().size() <= 256) pool.add(t);
            }
            List<Tensor> outs = new ArrayList<>();
            for (int i = 0; i < 3; i++) outs.add(pool.get(pool.size() - 1 - rnd.nextInt(Math.min(pool.size(), 6))));
            Oracle.check(outs, feeds, 1e-10, seed % 2 == 0 ? WorkSplitter.SERIAL : Cpu.defaultPool());
        }
    }

    @Test void feedsOfTheWrongTypeNameTheInputItsTypeAndWhatWasFed() {
        Graph g = new Graph();
        Tensor ids = g.input("ids", DType.I32, 4), w = g.input("w", DType.F64, 5, 2);
        Plan plan = Cpu.compile(List.of(w.gather(ids, 0)));
        var e = assertThrows(IllegalArgumentException.class, () -> plan.run(Map.of(ids, new float[4], w, new double[10])));
        assertTrue(e.getMessage().contains("input \"ids\" i32[4]"), e.getMessage());
        assertTrue(e.getMessage().contains("was fed a float[] (f32) of 4; it needs a int[] of 4"), e.getMessage());
        assertTrue(e.getMessage().contains("PlanTypesTest.java:"), e.getMessage());
        var size = assertThrows(IllegalArgumentException.class, () -> plan.run(Map.of(ids, new int[3], w, new double[10])));
        assertTrue(size.getMessage().contains("input \"ids\" i32[4]") && size.getMessage().contains("fed 3 values; it has 4"), size.getMessage());
        var f32 = assertThrows(IllegalArgumentException.class, () -> plan.output(0));
        assertTrue(f32.getMessage().contains("is f64[4, 2]; read it with outputF64(i)"), f32.getMessage());
        plan.run(Map.of(ids, new int[] {4, 0, 0, 2}, w, new double[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        assertArrayEquals(new double[] {8, 9, 0, 1, 0, 1, 4, 5}, plan.outputF64(0));
    }

    @Test void anIndexOutOfRangeNamesTheNodeIndexAxisAndSizeAndLeavesThePlanUsable() {
        Graph g = new Graph();
        Tensor ids = g.input("ids", DType.I64, 2, 3), w = g.input("w", 6, 2);
        Tensor y = w.gather(ids, 0);
        Tensor grad = g.fill(0, DType.F32, 6, 2).scatterAdd(ids.reshape(6).broadcastInDim(Shape.of(6, 2), 0), y.reshape(6, 2), 0);
        Plan plan = Cpu.compile(List.of(y, grad));
        float[] wv = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        var e = assertThrows(IllegalArgumentException.class, () -> plan.run(Map.of(ids, new long[] {1, 2, 3, 4, 6, 0}, w, wv)));
        assertTrue(e.getMessage().startsWith("gather: index 6 at position 4 of the indices is out of range for axis 0 of size 6"), e.getMessage());
        assertTrue(e.getMessage().contains("PlanTypesTest.java:"), e.getMessage());
        var neg = assertThrows(IllegalArgumentException.class, () -> plan.run(Map.of(ids, new long[] {1, -1, 3, 4, 5, 0}, w, wv)));
        assertTrue(neg.getMessage().contains("index -1 at position 1"), neg.getMessage());
        long[] good = {1, 2, 1, 5, 5, 0};
        plan.run(Map.of(ids, good, w, wv));
        assertArrayEquals(new float[] {2, 3, 4, 5, 2, 3, 10, 11, 10, 11, 0, 1}, plan.output(0));
        assertArrayEquals(new float[] {0, 1, 4, 6, 4, 5, 0, 0, 0, 0, 20, 22}, plan.output(1));
        // A second run with other ids: rows written last time (5) must be cleared.
        plan.run(Map.of(ids, new long[] {0, 0, 0, 0, 0, 0}, w, wv));
        assertArrayEquals(new float[] {0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, plan.output(1));
        var bad = assertThrows(IllegalArgumentException.class, () -> {
            Graph h = new Graph();
            Tensor i = h.input("i", DType.I32, 2), x = h.input("x", 3, 2);
            Plan p = Cpu.compile(List.of(x.takeAlongAxis(i.reshape(2, 1), 0)));
            p.run(Map.of(i, new int[] {0, 3}, x, new float[6]));
        });
        assertTrue(bad.getMessage().startsWith("take_along_axis: index 3 at position 1 of the indices is out of range for axis 0 of size 3"),
                bad.getMessage());
    }

    @Test void integerDivisionByZeroNamesTheNode() {
        Graph g = new Graph();
        Tensor a = g.input("a", DType.I32, 2), b = g.input("b", DType.I32, 2);
        Plan plan = Cpu.compile(List.of(a.div(b)));
        var e = assertThrows(IllegalArgumentException.class, () -> plan.run(new int[] {1, 2}, new int[] {1, 0}));
        assertTrue(e.getMessage().startsWith("div: integer division by zero (node %"), e.getMessage());
        plan.run(new int[] {7, -7}, new int[] {2, 2});
        assertArrayEquals(new int[] {3, -3}, plan.outputI32(0));
    }

    @Test void everyOutputTypeCanBeRead() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4);
        Plan plan = Cpu.compile(List.of(x, x.convert(DType.F64), x.convert(DType.I32), x.convert(DType.I64), x.gt(0.0)));
        plan.run(new float[] {-1.5f, 0, 2.5f, 3});
        assertArrayEquals(new float[] {-1.5f, 0, 2.5f, 3}, plan.output(0));
        assertArrayEquals(new double[] {-1.5, 0, 2.5, 3}, plan.outputF64(1));
        assertArrayEquals(new int[] {-1, 0, 2, 3}, plan.outputI32(2));
        assertArrayEquals(new long[] {-1, 0, 2, 3}, plan.outputI64(3));
        assertArrayEquals(new boolean[] {false, false, true, true}, plan.outputBool(4));
        assertArrayEquals(new double[] {0, 0, 1, 1}, plan.outputAsDoubles(4));
        assertArrayEquals(new double[] {-1, 0, 2, 3}, plan.outputAsDoubles(3));
        var e = assertThrows(IllegalArgumentException.class, () -> plan.outputI32(4));
        assertTrue(e.getMessage().contains("is bool[4]; read it with outputBool(i)"), e.getMessage());
    }

    @Test void boolInputsAreFedAsBooleans() {
        Graph g = new Graph();
        Tensor m = g.input("m", DType.BOOL, 3), x = g.input("x", DType.F64, 3);
        Plan plan = Cpu.compile(List.of(m.select(x, x.neg()), m.not()));
        plan.run(new boolean[] {true, false, true}, new double[] {1, 2, 3});
        assertArrayEquals(new double[] {1, -2, 3}, plan.outputF64(0));
        assertArrayEquals(new boolean[] {false, true, false}, plan.outputBool(1));
    }

    /** The indexing, cumsum and random-bits kernels give the same bits at one and two threads. */
    @Test void bitwiseEqualAtOneAndTwoThreads() {
        Graph g = new Graph();
        Tensor w = g.input("w", 300, 64), ids = g.input("ids", DType.I32, 700), up = g.input("up", 700, 64);
        Tensor key = g.input("key", DType.I32, 2);
        Tensor emb = w.gather(ids, 0);
        Tensor grad = g.fill(0, DType.F32, 300, 64).scatterAdd(ids.broadcastInDim(Shape.of(700, 64), 0), up, 0);
        Tensor bits = g.add(new RandomBits(Shape.of(70001)), key);
        List<Tensor> outs = List.of(emb.mul(emb).sum(1), grad, emb.cumsum(0), grad.cumsum(1, true), bits,
                w.convert(DType.F64).cumsum(0).sum(0), up.takeAlongAxis(ids.rem(g.constant(64, DType.I32)).abs().reshape(700, 1), 1));
        SplittableRandom rnd = new SplittableRandom(12);
        Map<Tensor, NdArray> feeds = new HashMap<>();
        feeds.put(w, Oracle.random(rnd, DType.F32, w.shape(), -1, 1));
        feeds.put(ids, Oracle.random(rnd, DType.I32, ids.shape(), 0, 300));
        feeds.put(up, Oracle.random(rnd, DType.F32, up.shape(), -1, 1));
        feeds.put(key, new NdArray(DType.I32, key.shape(), new double[] {0, 1234}));
        try (ThreadPool two = new ThreadPool(2)) {
            Plan one = Oracle.run(outs, feeds, WorkSplitter.SERIAL), pair = Oracle.run(outs, feeds, two);
            for (int o = 0; o < outs.size(); o++) {
                double[] a = one.outputAsDoubles(o), b = pair.outputAsDoubles(o);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), "output " + o + " element " + i);
                }
            }
            Oracle.check(outs, feeds, 1e-5, two);
        }
    }
}
