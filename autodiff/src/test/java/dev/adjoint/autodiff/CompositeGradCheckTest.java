package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Einsum;
import dev.adjoint.graph.Graph;
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
