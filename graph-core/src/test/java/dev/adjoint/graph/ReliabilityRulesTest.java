package dev.adjoint.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Regression tests of issue 11 in graph-core: broadcasting size 0, conv rules at build time, cross-entropy labels, pow. */
class ReliabilityRulesTest {

    /** Issue 11 #6: size 0 broadcast against size 1 is 0, as in numpy. */
    @Test void sizeZeroBroadcastsAgainstOne() {
        assertEquals(Shape.of(4, 0), Tensor.broadcastShapes("add", Shape.of(4, 0), Shape.of()));
        assertEquals(Shape.of(4, 0), Tensor.broadcastShapes("add", Shape.of(1, 0), Shape.of(4, 1)));
        assertThrows(ShapeException.class, () -> Tensor.broadcastShapes("add", Shape.of(2, 0), Shape.of(3, 1)));
        Graph g = new Graph();
        Tensor x = g.input("x", 4, 0);
        Tensor y = x.add(1.0).mul(x);
        assertEquals(Shape.of(4, 0), y.shape());
        NdArray r = Interpreter.run(g, Map.of(x, NdArray.of(Shape.of(4, 0))), y);
        assertEquals(0, r.data().length);
    }

    private static String line(Throwable e) { return e.getMessage(); }

    /** Issue 11 #9: conv with Cin = 0, a kernel of length 0, or a dilated input beyond 2^31 fails when built, at the user's line. */
    @Test void convErrorsComeWhenTheNodeIsBuilt() {
        Graph g = new Graph();
        Tensor x0 = g.input("x", 1, 5, 0), k0 = g.input("k", 3, 0, 2);
        var cin = assertThrows(ShapeException.class, () -> Nn.conv(x0, k0));
        assertTrue(line(cin).contains("Cin = 0") && line(cin).contains("ReliabilityRulesTest.java:"), line(cin));
        Tensor x = g.input("x2", 1, 5, 2), kEmpty = g.input("k2", 0, 2, 3);
        var klen = assertThrows(ShapeException.class, () -> Nn.conv(x, kEmpty));
        assertTrue(line(klen).contains("length 0 along spatial axis 0") && line(klen).contains("ReliabilityRulesTest.java:"), line(klen));
        Tensor big = g.input("x3", 1, 70_000, 1), k = g.input("k3", 1, 1, 1);
        var dil = assertThrows(ShapeException.class,
                () -> Nn.conv(big, k, new int[] {1}, new int[] {0}, new int[] {0}, new int[] {40_000}, new int[] {1}, 1));
        assertTrue(line(dil).contains("more than 2^31-1") && line(dil).contains("ReliabilityRulesTest.java:"), line(dil));
        // An empty batch is fine: an empty result.
        Tensor xe = g.input("x4", 0, 5, 2), ke = g.input("k4", 3, 2, 4);
        assertEquals(Shape.of(0, 3, 4), Nn.conv(xe, ke).shape());
    }

    private static Map<Tensor, NdArray> feeds(Tensor logits, double[] lv, Tensor labels, double[] ids) {
        return Map.of(logits, NdArray.of(logits.shape(), lv), labels, NdArray.of(labels.dtype(), labels.shape(), ids));
    }

    /** Issue 11 #4: labels out of [0, C) or not whole numbers are a run-time error naming the node and the label. */
    @Test void crossEntropyRefusesBadLabels() {
        double[] lv = {1, 2, 3, 0, 0, 0};
        for (DType t : new DType[] {DType.I32, DType.I64, DType.F32}) {
            for (double bad : new double[] {10, -1, 3}) {
                Graph g = new Graph();
                Tensor logits = g.input("logits", 2, 3), labels = g.input("labels", t, 2);
                Tensor loss = Nn.crossEntropy(logits, labels);
                var e = assertThrows(IllegalArgumentException.class,
                        () -> Interpreter.run(g, feeds(logits, lv, labels, new double[] {0, bad}), loss));
                assertTrue(e.getMessage().contains("index " + (long) bad) && e.getMessage().contains("out of range for axis 1 of size 3")
                        && e.getMessage().contains("take_along_axis") && e.getMessage().contains("ReliabilityRulesTest.java:"), e.getMessage());
            }
        }
        Graph g = new Graph();
        Tensor logits = g.input("logits", 2, 3), labels = g.input("labels", DType.F32, 2);
        Tensor loss = Nn.crossEntropy(logits, labels);
        for (double bad : new double[] {0.5, Double.NaN}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Interpreter.run(g, feeds(logits, lv, labels, new double[] {bad, 1}), loss));
            assertTrue(e.getMessage().contains("index -1 at position 0"), e.getMessage());
        }
        // ignore_index rows are exempt (PyTorch semantics), and valid labels still give the right loss.
        double l0 = Interpreter.run(g, feeds(logits, lv, labels, new double[] {-100, 1}), loss).data()[0];
        assertEquals(Math.log(3), l0, 1e-12);
        double l1 = Interpreter.run(g, feeds(logits, lv, labels, new double[] {2, 1}), loss).data()[0];
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        assertEquals(((lse - 3) + Math.log(3)) / 2, l1, 1e-12);
    }

    /** Issue 11 #7: -inf logits (masking) give finite losses and logsumexp(-inf...) = -inf, as in PyTorch. */
    @Test void negativeInfiniteLogits() {
        Graph g = new Graph();
        Tensor logits = g.input("logits", 1, 2), labels = g.input("labels", DType.I32, 1);
        Tensor loss = Nn.crossEntropy(logits, labels);
        assertEquals(0.0, Interpreter.run(g, feeds(logits, new double[] {0, Double.NEGATIVE_INFINITY}, labels, new double[] {0}), loss).data()[0]);
        Tensor x = g.input("x", 3);
        double inf = Double.NEGATIVE_INFINITY;
        assertEquals(inf, Interpreter.run(g, Map.of(x, NdArray.of(Shape.of(3), inf, inf, inf)), Nn.logSumExp(x, 0)).data()[0]);
    }

    /** Issue 11 #13: pow(1, NaN) = 1 and pow(-1, +-inf) = 1, as IEEE 754, numpy and PyTorch. */
    @Test void powOfOne() {
        Graph g = new Graph();
        Tensor a = g.input("a", 4), b = g.input("b", 4);
        double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
        NdArray r = Interpreter.run(g, Map.of(a, NdArray.of(Shape.of(4), 1, 1, -1, -1), b, NdArray.of(Shape.of(4), nan, inf, inf, -inf)), a.pow(b));
        assertArrayEquals(new double[] {1, 1, 1, 1}, r.data());
        assertEquals(1.0, Scalar.pow(1, nan));
        assertTrue(Double.isNaN(Scalar.pow(2, nan)));
    }

    /** Issue 11 #3: a long chain passes the optimizer, the graph file and DOT export without recursion per node. */
    @Test void longChainsThroughEveryPass() throws Exception {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor y = g.withSite(new StackTraceElement("ReliabilityRulesTest", "chain", "ReliabilityRulesTest.java", 1), () -> {
            Tensor z = x;
            for (int i = 0; i < 20_000; i++) z = z.add(x).mul(1.0); // 60,000 nodes: the recursive walks overflowed near 6,000
            return z;
        });
        var r = dev.adjoint.graph.pass.Optimizer.optimize(java.util.List.of(y));
        assertTrue(r.graph().size() > 20_000);
        var out = new java.io.ByteArrayOutputStream();
        dev.adjoint.graph.io.GraphFile.write(g, out);
        Graph back = dev.adjoint.graph.io.GraphFile.read(new java.io.ByteArrayInputStream(out.toByteArray()));
        assertEquals(g.size(), back.size());
        java.nio.file.Path dot = java.nio.file.Files.createTempFile("chain", ".dot");
        try {
            dev.adjoint.graph.io.DotExport.write(g, java.util.List.of(y), dot);
        } finally {
            java.nio.file.Files.deleteIfExists(dot);
        }
    }
}
