package dev.adjoint.graph.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.Compare;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link ActivationMasks}: the comparisons read the activation's output, nothing else reads the
 * pre-activation, and every mask is bitwise the original's on NaN, signed zeros, infinities,
 * subnormals and ties.
 */
class ActivationMasksTest {
    /** Every special value against every other (the operand pairs of the proof in {@link ActivationMasks}). */
    private static final double[] SPECIAL = {Double.NaN, -0.0, 0.0, 1.0, -1.0, Double.MIN_VALUE, -Double.MIN_VALUE,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 2.5, -2.5, 1e-40};

    private static int readersOf(Graph g, int id) {
        int n = 0;
        for (Node node : g.nodes()) for (int i = 0; i < node.inputs().size(); i++) if (node.inputs().get(i) == id) n++;
        return n;
    }

    @Test void everyMaskFormReadsTheActivationAndKeepsItsValues() {
        int n = SPECIAL.length * SPECIAL.length;
        double[] av = new double[n], bv = new double[n];
        for (int i = 0; i < SPECIAL.length; i++) for (int j = 0; j < SPECIAL.length; j++) { av[i * SPECIAL.length + j] = SPECIAL[i]; bv[i * SPECIAL.length + j] = SPECIAL[j]; }
        Graph g = new Graph();
        Tensor a = g.input("a", n), b = g.input("b", n);
        Tensor max = a.max(b), min = a.min(b);
        // gt(a, b) and lt(b, a) beside max(a, b); lt(a, b) and gt(b, a) beside min(a, b); gt with max(b, a) too.
        Tensor minBA = b.min(a);
        List<Tensor> outs = List.of(max, min, minBA, a.gt(b), b.lt(a), a.lt(b), b.gt(a));
        Rewritten r = ActivationMasks.PASS.apply(outs, w -> {});
        Graph rg = r.graph();
        Tensor ra = r.inputs().get(a), rb = r.inputs().get(b);
        for (int k = 3; k < outs.size(); k++) {
            Node mask = rg.node(r.outputs().get(k).id());
            boolean readsActivation = false;
            for (int i = 0; i < 2; i++) readsActivation |= rg.node(mask.inputs().get(i)).op() instanceof Binary;
            assertEquals(true, readsActivation, "mask " + k + " " + mask + " should read the max/min");
        }
        Map<Tensor, NdArray> feeds = Map.of(a, NdArray.of(Shape.of(n), av), b, NdArray.of(Shape.of(n), bv));
        List<NdArray> expected = Interpreter.run(g, feeds, outs);
        List<NdArray> got = Interpreter.run(rg, Map.of(ra, feeds.get(a), rb, feeds.get(b)), r.outputs());
        for (int k = 0; k < outs.size(); k++) {
            for (int e = 0; e < n; e++) {
                assertEquals(Double.doubleToRawLongBits(expected.get(k).data()[e]), Double.doubleToRawLongBits(got.get(k).data()[e]),
                        "output " + k + " at a = " + av[e] + ", b = " + bv[e]);
            }
        }
    }

    @Test void reluGradientMaskReadsTheReluAndTheFloat32KernelsAgree() {
        Graph g = new Graph();
        Tensor x = g.input("x", 6);
        Tensor zero = g.constant(0.0).broadcastTo(6);
        Tensor relu = x.max(zero), mask = x.gt(zero);
        Rewritten r = ActivationMasks.PASS.apply(List.of(relu, mask), w -> {});
        Node m = r.graph().node(r.outputs().get(1).id());
        assertEquals(r.outputs().get(0).id(), m.inputs().get(0), "the mask reads relu's output");
        assertEquals(1, readersOf(r.graph(), r.inputs().get(x).id()), "only the relu reads x");
        // The float32 forms of the proof: Math.max as the kernels apply it, on the specials and the -0.0 tie.
        for (double d : SPECIAL) {
            float v = (float) d;
            assertEquals(v > 0f, Math.max(v, 0f) > 0f, "x = " + v);
            assertEquals(v > 0f, Math.max(v, -0f) > 0f, "x = " + v + " against -0");
        }
    }

    @Test void withoutTheActivationNothingChangesAndGeIsLeftAlone() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4), zero = g.constant(0.0).broadcastTo(4);
        Tensor relu = x.max(zero);
        List<Tensor> outs = new ArrayList<>(List.of(relu, x.ge(zero), x.gt(g.constant(1.0).broadcastTo(4))));
        Rewritten r = ActivationMasks.PASS.apply(outs, w -> {});
        for (int k = 1; k < 3; k++) {
            Node mask = r.graph().node(r.outputs().get(k).id());
            assertEquals(r.inputs().get(x).id(), mask.inputs().get(0), "mask " + k + " must still read x");
            assertNotEquals(null, mask.op() instanceof Compare ? mask : null);
        }
    }
}
