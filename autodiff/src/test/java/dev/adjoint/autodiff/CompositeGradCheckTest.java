package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Einsum;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * GradCheck as a user would run it, on the composites of the builder API (softmax, losses,
 * pooling, NCHW and transposed convolutions, einsum): their derivatives come for free from the
 * primitives' rules, and both modes must match central differences.
 */
class CompositeGradCheckTest {
    private final Random rnd = new Random(99);

    private void check(String name, Function<Tensor[], Tensor> f, int[]... shapes) {
        Graph g = new Graph();
        Tensor[] xs = new Tensor[shapes.length];
        Map<Tensor, NdArray> feeds = new HashMap<>();
        for (int i = 0; i < xs.length; i++) {
            xs[i] = g.input("x" + i, shapes[i]);
            feeds.put(xs[i], T.gaussian(xs[i].shape(), rnd));
        }
        Tensor y = f.apply(xs);
        List<Tensor> wrt = new ArrayList<>(List.of(xs));
        for (GradCheck.Report r : GradCheck.vjp(y, wrt, feeds)) assertTrue(r.passes(1e-6), name + " vjp " + r);
        GradCheck.Report r = GradCheck.jvp(y, wrt, feeds);
        assertTrue(r.passes(1e-6), name + " jvp " + r);
    }

    @Test void softmaxAndLosses() {
        check("softmax", x -> Nn.softmax(x[0], 1), new int[] {3, 4});
        check("log_softmax", x -> Nn.logSoftmax(x[0], 0), new int[] {3, 4});
        check("logsumexp", x -> Nn.logSumExp(x[0], 1), new int[] {3, 4});
        check("mse", x -> Nn.mse(x[0], x[1]), new int[] {3, 4}, new int[] {3, 4});
        check("cross_entropy", x -> Nn.crossEntropy(x[0], x[0].graph().constant(Shape.of(3), 0, 3, 1)), new int[] {3, 4});
        check("linear", x -> Nn.linear(x[0], x[1], x[2]).tanh(), new int[] {2, 3}, new int[] {3, 4}, new int[] {4});
    }

    @Test void poolingAndConvolutions() {
        check("max_pool", x -> Nn.maxPool(x[0], new int[] {2, 2}, new int[] {2, 1}, new int[] {1, 0}),
                new int[] {1, 4, 5, 2});
        check("avg_pool", x -> Nn.avgPool(x[0], new int[] {2, 3}, new int[] {1, 2}, new int[] {1, 1}, false),
                new int[] {1, 4, 5, 2});
        check("conv2d_nchw", x -> Nn.conv2dNchw(x[0], x[1], new int[] {2, 1}, new int[] {1, 0}),
                new int[] {2, 2, 5, 4}, new int[] {3, 2, 2, 2});
        check("conv_transpose", x -> Nn.convTranspose(x[0], x[1], new int[] {2}, new int[] {1}, new int[] {1}, new int[] {1}, 2),
                new int[] {1, 3, 4}, new int[] {2, 4, 3});
    }

    @Test void einsum() {
        check("einsum_bij_bjk", x -> Einsum.einsum("bij,bjk->bik", x[0], x[1]), new int[] {2, 3, 4}, new int[] {2, 4, 2});
        check("einsum_trace_like", x -> Einsum.einsum("ij,ji->", x[0], x[1]), new int[] {3, 2}, new int[] {2, 3});
    }

    // ---- op set v2 composites ----

    @Test void activations() {
        check("silu", x -> Nn.silu(x[0]), new int[] {3, 4});
        check("gelu_tanh", x -> Nn.geluTanh(x[0]), new int[] {3, 4});
        check("leaky_relu", x -> Nn.leakyRelu(x[0], 0.1), new int[] {3, 4});
    }

    /** Composites over the primitives new in op set v2 (erf, log1p, expm1, gather), whose JVP rules come from branch ad. */
    @Test void compositesOfNewPrimitives() {
        check("gelu", x -> Nn.gelu(x[0]), new int[] {3, 4});
        check("softplus", x -> Nn.softplus(x[0].mul(3.0)), new int[] {3, 4});
        check("elu", x -> Nn.elu(x[0].mul(3.0), 1.5), new int[] {3, 4});
        check("embedding", x -> Nn.embedding(x[0].graph().constant(DType.I32, Shape.of(2, 2), 3, 0, 3, 1), x[0]).tanh(),
                new int[] {4, 3});
    }

    /** elu's exponential sees min(x, 0): a huge positive input must not turn the unused branch's gradient into NaN. */
    @Test void eluGradientIsFiniteForHugeInputs() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Tensor dx = Autodiff.grad(Nn.elu(x, 1.0).sum(), x);
        double[] v = Interpreter.run(g, T.feeds(x, NdArray.of(Shape.of(3), 1000, -2, 800)), dx).data();
        assertArrayEquals(new double[] {1, Math.exp(-2), 1}, v, 1e-15);
    }

    @Test void normalisation() {
        check("layer_norm", x -> Nn.layerNorm(x[0], x[1], x[2], 2, 1e-5), new int[] {2, 3, 4}, new int[] {3, 4}, new int[] {3, 4});
        check("layer_norm_plain", x -> Nn.layerNorm(x[0], null, null, 1, 1e-5), new int[] {3, 5});
        check("batch_norm", x -> Nn.batchNorm(x[0], x[1], x[2], 1e-5, 1), new int[] {3, 2, 4}, new int[] {2}, new int[] {2});
        check("batch_norm_stats", x -> {
            Nn.Moments m = Nn.batchNormStats(x[0], -1);
            return m.mean().mul(m.variance());
        }, new int[] {4, 3});
        check("batch_norm_inference", x -> Nn.batchNormInference(x[0], x[1], x[2].square().add(0.5), x[3], x[4], 1e-5, 1),
                new int[] {3, 2, 4}, new int[] {2}, new int[] {2}, new int[] {2}, new int[] {2});
        check("group_norm", x -> Nn.groupNorm(x[0], 2, x[1], x[2], 1e-5, 1), new int[] {2, 4, 3}, new int[] {4}, new int[] {4});
        check("rms_norm", x -> Nn.rmsNorm(x[0], x[1], 1e-6), new int[] {3, 4}, new int[] {4});
    }

    @Test void attention() {
        check("sdpa", x -> Nn.scaledDotProductAttention(x[0], x[1], x[2], false, 0.5), new int[] {2, 3, 4}, new int[] {2, 5, 4},
                new int[] {2, 5, 2});
        check("sdpa_causal", x -> Nn.scaledDotProductAttention(x[0], x[1], x[2], true, Double.NaN), new int[] {2, 3, 4},
                new int[] {2, 3, 4}, new int[] {2, 3, 2});
        check("mha_causal", x -> Nn.multiHeadAttention(x[0], x[1], x[2], x[3], x[4], 2, true), new int[] {2, 3, 4},
                new int[] {4, 4}, new int[] {4, 4}, new int[] {4, 4}, new int[] {4, 4});
    }

    @Test void crossEntropyV2() {
        check("cross_entropy_i64_ignore_smoothing", x -> Nn.crossEntropy(x[0],
                x[0].graph().constant(DType.I64, Shape.of(4), 2, -100, 0, 1), Nn.Reduction.MEAN, -100, 0.1), new int[] {4, 3});
        check("cross_entropy_i32_none", x -> Nn.crossEntropy(x[0],
                x[0].graph().constant(DType.I32, Shape.of(3), 1, 0, 2), Nn.Reduction.NONE, 0, 0.0), new int[] {3, 3});
    }

    /**
     * A -inf logit off the label: loss and gradient finite (PyTorch: logits [0, -inf], label 0 gives
     * loss 0 and gradient 0); the gradient is (softmax - one_hot) / N with exact zeros at the -inf logits.
     */
    @Test void crossEntropyGradientIsFiniteWithMinusInfinityLogits() {
        Graph g = new Graph();
        Tensor logits = g.input("logits", 2, 3);
        double ninf = Double.NEGATIVE_INFINITY;
        Tensor loss = Nn.crossEntropy(logits, g.constant(DType.I32, Shape.of(2), 0, 1));
        Tensor dl = Autodiff.grad(loss, logits);
        Map<Tensor, NdArray> feeds = T.feeds(logits, NdArray.of(Shape.of(2, 3), 0, ninf, ninf, 1, 2, ninf));
        List<NdArray> r = T.run(g, feeds, List.of(loss, dl));
        double p1 = Math.exp(1) / (Math.exp(1) + Math.exp(2));
        assertEquals(Math.log(1 + Math.exp(-1)) / 2, r.get(0).item(), 1e-15);
        assertArrayEquals(new double[] {0, 0, 0, p1 / 2, (1 - p1 - 1) / 2, 0}, r.get(1).data(), 1e-15);
        // Forward mode too: the JVP along a tangent that is nonzero at the -inf entries.
        Tensor t = g.input("t", 2, 3);
        Tensor jv = Autodiff.jvp(loss, logits, t);
        double got = T.scalar(g, T.feeds(logits, NdArray.of(Shape.of(2, 3), 0, ninf, ninf, 1, 2, ninf),
                t, NdArray.of(Shape.of(2, 3), 1, 1, 1, 1, 1, 1)), jv);
        assertEquals(0.0, got, 1e-15); // shifting every logit of a row changes nothing
        // logsumexp with some -inf entries has a finite gradient: softmax, 0 at -inf.
        Tensor x = g.input("x", 3);
        Tensor dx = Autodiff.grad(Nn.logSumExp(x), x);
        double[] v = Interpreter.run(g, T.feeds(x, NdArray.of(Shape.of(3), 0, ninf, 0)), dx).data();
        assertArrayEquals(new double[] {0.5, 0, 0.5}, v, 1e-15);
    }

    @Test void indexingAndShapeHelpers() {
        check("tile", x -> x[0].tile(2, 1, 3).tanh(), new int[] {2, 3});
        check("chunk_split", x -> {
            List<Tensor> c = x[0].chunk(2, 1);
            List<Tensor> s = x[1].split(0, 1, 2);
            return c.get(0).mul(c.get(1)).sum(0).add(s.get(1).sum(0).mul(s.get(0).squeeze(0)));
        }, new int[] {3, 4}, new int[] {3, 2});
        check("where_flatten_unsqueeze", x -> Tensor.where(x[0].gt(0.0), x[0].square(), x[1].unsqueeze(0)).flatten().tanh(),
                new int[] {2, 3}, new int[] {3});
        check("reshape_minus_one", x -> x[0].reshape(-1, 2).tanh(), new int[] {2, 3});
        check("dropout", x -> Nn.dropout(x[0], dev.adjoint.graph.Random.key(x[0].graph(), 3), 0.5, true).tanh(), new int[] {4, 5});
    }

    @Test void einsumV2() {
        check("einsum_ellipsis_broadcast", x -> Einsum.einsum("...ij,...jk->...ik", x[0], x[1]), new int[] {2, 1, 3, 4},
                new int[] {5, 4, 2});
        check("einsum_implicit", x -> Einsum.einsum("ij,jk", x[0], x[1]), new int[] {2, 3}, new int[] {3, 4});
        check("einsum_five_operands", x -> Einsum.einsum("ab,bc,cd,de,ea->", x[0], x[1], x[2], x[3], x[4]),
                new int[] {2, 3}, new int[] {3, 2}, new int[] {2, 2}, new int[] {2, 3}, new int[] {3, 2});
        check("einsum_diagonal", x -> Einsum.einsum("iji,j->i", x[0], x[1]), new int[] {3, 2, 3}, new int[] {2});
    }

    @Test void gradCheckRejectsNonInputs() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2);
        Tensor h = x.exp();
        assertThrows(IllegalArgumentException.class,
                () -> GradCheck.vjp(h.sum(), List.of(h), T.feeds(x, NdArray.of(Shape.of(2), 1, 2))));
    }

    @Test void gradCheckCatchesAWrongDerivative() {
        // A graph whose "derivative" is wrong cannot be built through Autodiff; compare() itself is
        // what reports: a 1% error must fail a 1e-6 tolerance and name the worst element.
        GradCheck.Report r = GradCheck.compare("w", new double[] {1, 2, 3}, new double[] {1, 2.02, 3});
        assertTrue(!r.passes(1e-6) && r.worstIndex() == 1 && r.maxAbsError() > 0.019, r.toString());
    }
}
