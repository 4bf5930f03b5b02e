package dev.adjoint.graph.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.testing.RandomGraphs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The layout pass on the ops between convolutions (concatenate, pad, slice, reductions, reshape,
 * SiLU): each NCHW op between an NHWC producer and an NHWC consumer ends with no transpose
 * around it, and the values equal the original graph's (the verifier, structural and numeric,
 * runs after every pass; the values are compared again here on inputs of their own), on hand-made
 * graphs shaped like the torchvision models' and on random NCHW graphs.
 */
class LayoutRulesTest {
    private static final Pipeline LAYOUT = Pipeline.of("layout", Passes.LAYOUT);

    /** Transposes of a non-constant value (weights' layout transposes are folded or read in place). */
    static int transposes(Graph g) {
        int n = 0;
        for (Node node : g.nodes()) if (node.op() instanceof Transpose && !(Pattern.constant().matches(g.tensor(node.id())))) n++;
        return n;
    }

    /** Transposes between NCHW and NHWC of a non-constant value. */
    static int layoutTransposes(Graph g) {
        int n = 0;
        for (Node node : g.nodes()) {
            if (node.op() instanceof Transpose t && !Pattern.constant().matches(g.tensor(node.id()))
                    && (t.perm().equals(dev.adjoint.graph.Ints.of(0, 2, 3, 1)) || t.perm().equals(dev.adjoint.graph.Ints.of(0, 3, 1, 2)))) {
                n++;
            }
        }
        return n;
    }

    private static Map<Tensor, NdArray> feeds(Graph g, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Tensor, NdArray> feeds = new HashMap<>();
        for (Tensor in : g.inputs()) feeds.put(in, RandomGraphs.random(rnd, in.shape()));
        return feeds;
    }

    private static List<NdArray> run(Rewritten r, Map<Tensor, NdArray> feeds) {
        Map<Tensor, NdArray> mapped = new HashMap<>();
        feeds.forEach((t, v) -> { if (r.inputs().containsKey(t)) mapped.put(r.inputs().get(t), v); });
        return Interpreter.run(r.graph(), mapped, r.outputs());
    }

    /** Runs {@code p} checked (verifier and numerics after every pass), compares the values once more, returns the result. */
    static Rewritten checked(Pipeline p, List<Tensor> outs, String what) {
        Rewritten r = p.run(outs, Pipeline.Options.checked().withReport(false)).rewritten();
        Graph g = outs.get(0).graph();
        Map<Tensor, NdArray> feeds = feeds(g, 11);
        List<NdArray> e = Interpreter.run(g, feeds, outs), a = run(r, feeds);
        for (int i = 0; i < e.size(); i++) {
            assertEquals(e.get(i).shape(), a.get(i).shape(), what);
            for (int j = 0; j < e.get(i).data().length; j++) {
                double x = e.get(i).data()[j], y = a.get(i).data()[j];
                if (Double.isNaN(x) && Double.isNaN(y)) continue;
                assertEquals(x, y, 1e-9 * (1 + Math.abs(x)), what + ": output " + i + " element " + j);
            }
        }
        return r;
    }

    /** {@code body} applied in NCHW between NHWC values of shape [2, 5, 4, 6] (conv outputs) and an NHWC reader (a conv's input). */
    private static void assertNoTransposeLeft(String what, int inputs, Function<Tensor[], Tensor> body) {
        assertTransposesLeft(what, inputs, 0, body);
    }

    /** As {@link #assertNoTransposeLeft}, with {@code left} transposes of the body's own (none between NCHW and NHWC). */
    private static void assertTransposesLeft(String what, int inputs, int left, Function<Tensor[], Tensor> body) {
        Graph g = new Graph();
        Tensor[] nchw = new Tensor[inputs];
        for (int i = 0; i < inputs; i++) nchw[i] = Nn.toChannelsFirst(g.input("x" + i, 2, 5, 4, 6).tanh());
        Tensor y = Nn.toChannelsLast(body.apply(nchw)).exp();
        Rewritten o1 = checked(Pipeline.O1, List.of(y), what + " O1");
        assertTrue(transposes(o1.graph()) > 0, what + ": O1 keeps the transposes\n" + o1.graph());
        Rewritten layout = checked(LAYOUT, List.of(y), what + " layout");
        assertEquals(0, layoutTransposes(layout.graph()), what + ": a layout transpose is left after the layout pass\n" + layout.graph());
        assertEquals(left, transposes(layout.graph()), what + ": transposes after the layout pass\n" + layout.graph());
        Rewritten o2 = checked(Pipeline.O2, List.of(y), what + " O2");
        assertEquals(left, transposes(o2.graph()), what + ": transposes after O2\n" + o2.graph());
    }

    @Test void concatenateOnTheChannelAxisRunsChannelsLast() {
        // SqueezeNet's fire module: expand1x1 and expand3x3 (each + relu) concatenated on C.
        assertNoTransposeLeft("fire concat", 2, x -> Tensor.concatenate(1, x[0].relu(), x[1].relu()));
        // and on a spatial axis, with a broadcast constant operand
        assertNoTransposeLeft("concat H", 1, x -> Tensor.concatenate(2, x[0], x[0].graph().fill(0.5, dev.adjoint.graph.DType.F32, 2, 6, 3, 4)));
    }

    @Test void aConcatenatedValueWithOtherReadersStillSinks() {
        // DenseNet: each layer's output is read by every later concatenation of its block.
        assertNoTransposeLeft("dense block", 2, x -> {
            Tensor a = Tensor.concatenate(1, x[0], x[1]);
            Tensor b = Tensor.concatenate(1, x[0], x[1], a.relu());
            return b.mul(x[0].graph().constant(Shape.of(1, 24, 1, 1), RandomGraphs.random(new SplittableRandom(2), Shape.of(1, 24, 1, 1)).data()));
        });
    }

    @Test void padAndSliceRunChannelsLast() {
        assertNoTransposeLeft("pad", 1, x -> x[0].pad(new int[] {0, 1, 2, 0}, new int[] {1, 0, 1, 1}, new int[] {0, 0, 1, 0}));
        assertNoTransposeLeft("slice", 1, x -> x[0].slice(new int[] {0, 1, 1, 0}, new int[] {2, 5, 5, 4}, new int[] {1, 2, 1, 3}));
        // ShuffleNet's split: two halves of the channels, each to its own branch.
        assertNoTransposeLeft("split", 1, x -> x[0].slice(new int[] {0, 0, 0, 0}, new int[] {2, 3, 5, 4})
                .add(x[0].slice(new int[] {0, 3, 0, 0}, new int[] {2, 6, 5, 4})));
    }

    @Test void reductionsRunChannelsLast() {
        // global average pooling (keepdims) broadcast back, squeeze-excitation style
        assertNoTransposeLeft("squeeze-excitation", 1, x -> x[0].mul(x[0].mean(new int[] {2, 3}, true).sigmoid()));
        assertNoTransposeLeft("reduce_max over H", 1, x -> x[0].sub(x[0].reduceMax(new int[] {2}, true)));
        assertNoTransposeLeft("softmax over C", 1, x -> Nn.softmax(x[0], 1));
    }

    @Test void siluSinksAsOne() {
        assertNoTransposeLeft("silu", 1, x -> x[0].mul(x[0].sigmoid()));
        assertNoTransposeLeft("silu mirrored", 1, x -> x[0].sigmoid().mul(x[0]));
        assertNoTransposeLeft("square", 1, x -> x[0].mul(x[0]));
    }

    @Test void theChannelShuffleRunsChannelsLast() {
        // ShuffleNet-v2: concat, [N, 2, C/2, H, W], swap the groups, [N, C, H, W], split. The one transpose
        // left is the shuffle itself, [N, H, W, 2, C/2] -> [N, H, W, C/2, 2] in NHWC.
        assertTransposesLeft("shuffle", 2, 1, x -> {
            Tensor c = Tensor.concatenate(1, x[0], x[1]);
            Tensor s = c.reshape(2, 2, 6, 5, 4).transpose(0, 2, 1, 3, 4).reshape(2, 12, 5, 4);
            return s.slice(new int[] {0, 0, 0, 0}, new int[] {2, 6, 5, 4}).relu().add(s.slice(new int[] {0, 6, 0, 0}, new int[] {2, 12, 5, 4}));
        });
    }

    @Test void theClassifierHeadLeavesNoTranspose() {
        // relu, global average pool, flatten, linear: the head of every torchvision classifier.
        Graph g = new Graph();
        Tensor x = Nn.toChannelsFirst(g.input("x", 1, 3, 3, 8).tanh()).relu();
        Tensor flat = x.mean(new int[] {2, 3}, true).reshape(1, 8);
        Tensor w = g.constant(Shape.of(8, 4), RandomGraphs.random(new SplittableRandom(5), Shape.of(8, 4)).data());
        Rewritten o2 = checked(Pipeline.O2, List.of(flat.matmul(w)), "head");
        assertEquals(0, transposes(o2.graph()), o2.graph().toString());
        // and at 1x1 spatial size (DenseNet's last block on small inputs): the transposes are reshapes
        Tensor one = Nn.toChannelsFirst(g.input("z", 1, 1, 1, 8).tanh());
        Tensor bn = one.mul(g.constant(Shape.of(1, 8, 1, 1), RandomGraphs.random(new SplittableRandom(6), Shape.of(1, 8, 1, 1)).data()).rsqrt().abs());
        Rewritten unit = checked(Pipeline.O2, List.of(Nn.toChannelsLast(bn.relu()).exp()), "1x1");
        assertEquals(0, transposes(unit.graph()), unit.graph().toString());
    }

    /**
     * Random NCHW graphs: NHWC inputs moved to NCHW, then a random sequence of the ops the pass
     * meets (elementwise, broadcast constants, concatenate, pad, slice, reductions kept and
     * broadcast back, the channel shuffle, SiLU), then NHWC again for some outputs and NCHW for
     * others. The layout pass and O2 keep every value, and O2 leaves no more transposes than O1.
     */
    @Test void randomNchwGraphsKeepTheirValues() {
        int fewer = 0;
        List<String> more = new ArrayList<>();
        for (long seed = 0; seed < 400; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            Graph g = new Graph();
            int c = 2 * (1 + rnd.nextInt(3)), h = 1 + rnd.nextInt(4), w = 1 + rnd.nextInt(4);
            List<Tensor> live = new ArrayList<>();
            live.add(Nn.toChannelsFirst(g.input("a", 2, h, w, c)));
            live.add(Nn.toChannelsFirst(g.input("b", 2, h, w, c).tanh()));
            for (int step = 0; step < 8; step++) {
                Tensor a = live.get(rnd.nextInt(live.size())), b = live.get(rnd.nextInt(live.size()));
                int[] d = a.shape().dims();
                Tensor y = switch (rnd.nextInt(11)) {
                    case 0 -> a.relu();
                    case 1 -> a.shape().equals(b.shape()) ? a.add(b) : a.neg();
                    case 2 -> a.mul(g.constant(Shape.of(1, d[1], 1, 1), RandomGraphs.random(rnd, Shape.of(1, d[1], 1, 1)).data()));
                    case 3 -> a.shape().equals(b.shape()) ? Tensor.concatenate(rnd.nextInt(4), a, b) : Tensor.concatenate(1, a, a.sigmoid());
                    case 4 -> a.pad(new int[] {0, rnd.nextInt(2), rnd.nextInt(2), 0}, new int[] {0, 0, rnd.nextInt(2), rnd.nextInt(2)});
                    case 5 -> d[2] > 1 ? a.slice(new int[] {0, 0, 1, 0}, d) : a.abs();
                    case 6 -> a.sub(a.mean(new int[] {2, 3}, true));
                    case 7 -> a.div(a.reduceMax(new int[] {1}, true).abs().add(1.0));
                    case 8 -> d[1] % 2 == 0
                            ? a.reshape(d[0], 2, d[1] / 2, d[2], d[3]).transpose(0, 2, 1, 3, 4).reshape(d) : a.exp();
                    case 9 -> a.mul(a.sigmoid());
                    default -> a.sum(new int[] {2, 3}, true).reshape(d[0], d[1]).matmul(g.constant(Shape.of(d[1], 3),
                            RandomGraphs.random(rnd, Shape.of(d[1], 3)).data())).reshape(d[0], 3, 1, 1).add(a.slice(new int[4],
                            new int[] {d[0], Math.min(3, d[1]), d[2], d[3]}).pad(new int[4], new int[] {0, Math.max(0, 3 - d[1]), 0, 0}));
                };
                live.add(y);
            }
            List<Tensor> outs = new ArrayList<>();
            Tensor last = live.get(live.size() - 1);
            outs.add(Nn.toChannelsLast(last).exp());
            if (rnd.nextBoolean()) outs.add(live.get(2 + rnd.nextInt(live.size() - 2)));
            String what = "seed " + seed;
            checked(LAYOUT, outs, what + " layout");
            Rewritten o2 = checked(Pipeline.O2, outs, what + " O2");
            int t1 = transposes(Pipeline.O1.apply(outs).graph()), t2 = transposes(o2.graph());
            if (t2 < t1) fewer++;
            if (t2 > t1) more.add(what + ": " + t1 + " -> " + t2);
        }
        // A transpose with several readers, some of which it sinks past and some not (an NCHW output, say), may
        // end as two: the rules see one node at a time. That is rare on these graphs, and not seen on the models.
        assertTrue(fewer > 250, "O2 should leave fewer transposes than O1 on most random NCHW graphs: " + fewer + " of 400");
        assertTrue(more.size() <= 8, "O2 leaves more transposes than O1 on " + more);
    }
}
