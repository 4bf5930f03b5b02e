package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every primitive's JVP and VJP against central finite differences in float64, and its second
 * derivatives (grad of grad, jvp of vjp) against finite differences of the first derivative.
 */
class PrimitiveDerivativeTest {
    /** A case: input shapes, the value range of the inputs, and the function. */
    record Case(String name, int[][] shapes, double lo, double hi, Function<Tensor[], Tensor> f) {
        @Override public String toString() { return name; }
    }

    static Case c(String name, double lo, double hi, Function<Tensor[], Tensor> f, int[]... shapes) {
        return new Case(name, shapes, lo, hi, f);
    }

    static Stream<Arguments> cases() {
        List<Case> cs = new ArrayList<>();
        int[] s23 = {2, 3};
        for (UnaryFn fn : UnaryFn.values()) {
            if (fn == UnaryFn.NOT) continue; // bool/integer only: see not_on_a_mask below
            boolean positive = fn == UnaryFn.LOG || fn == UnaryFn.SQRT || fn == UnaryFn.RSQRT;
            double lo = positive ? 0.5 : fn == UnaryFn.LOG1P ? -0.7 : -2;
            cs.add(c(fn.label(), lo, 2, x -> x[0].graph().add(new Unary(fn), x[0]), s23));
        }
        // The piecewise-constant ones inside something smooth, so the zero derivative is composed.
        cs.add(c("floor_ceil_round_composed", -2, 2, x -> x[0].mul(x[0].mul(1.7).floor().add(x[0].ceil()).add(x[0].mul(2.3).round()))
                .add(x[0].sin()), s23));
        cs.add(c("not_on_a_mask", -2, 2, x -> x[0].gt(0.3).not().select(x[0].exp(), x[0].cos()), s23));
        cs.add(c("rem", 0.5, 2, x -> x[0].mul(3.0).sub(3.0).rem(x[1]).mul(x[1].exp()), s23, s23));
        cs.add(c("rem_negative_divisor", 0.5, 2, x -> x[0].mul(4.0).sub(2.0).rem(x[1].neg()).square(), s23, s23));
        cs.add(c("add", -2, 2, x -> x[0].add(x[1]), s23, s23));
        cs.add(c("sub", -2, 2, x -> x[0].sub(x[1]), s23, s23));
        cs.add(c("mul", -2, 2, x -> x[0].mul(x[1]), s23, s23));
        cs.add(c("div", 0.5, 2, x -> x[0].div(x[1]), s23, s23));
        cs.add(c("max", -2, 2, x -> x[0].max(x[1]), s23, s23));
        cs.add(c("min", -2, 2, x -> x[0].min(x[1]), s23, s23));
        cs.add(c("relu", -2, 2, x -> x[0].relu(), s23));
        cs.add(c("pow", 0.5, 2, x -> x[0].pow(x[1]), s23, s23));
        cs.add(c("pow_const", 0.5, 2, x -> x[0].pow(3.0), s23));
        cs.add(c("square_same_operand", -2, 2, x -> x[0].mul(x[0]), s23));
        cs.add(c("compare", -2, 2, x -> x[0].mul(x[0].gt(x[1]).convert(x[0].dtype())), s23, s23));
        cs.add(c("compare_ne", -2, 2, x -> x[0].ne(x[1]).select(x[0].mul(x[1]), x[1]), s23, s23));
        cs.add(c("select", -2, 2, x -> x[0].gt(x[1]).select(x[0].mul(x[1]), x[1].exp()), s23, s23));
        cs.add(c("select_one_side", -2, 2, x -> x[0].gt(x[1]).select(x[0].tanh(), x[0].graph().fill(0.5, 2, 3)), s23, s23));
        cs.add(c("constant_iota", -2, 2, x -> x[0].mul(x[0].graph().iota(Shape.of(2, 3), 1, x[0].dtype())).add(1.5), s23));
        cs.add(c("broadcast_in_dim", -2, 2, x -> x[0].broadcastInDim(Shape.of(2, 3, 4), 1, 2).tanh(), new int[] {3, 1}));
        cs.add(c("broadcast_scalar", -2, 2, x -> x[0].broadcastInDim(Shape.of(2, 3)).mul(x[1]), new int[0], s23));
        cs.add(c("reduce_sum", -2, 2, x -> x[0].sum(0, 2), new int[] {2, 3, 4}));
        cs.add(c("reduce_max", -2, 2, x -> x[0].reduceMax(1), new int[] {2, 3, 4}));
        cs.add(c("reduce_max_all", -2, 2, x -> x[0].reduceMax(), new int[] {2, 3, 4}));
        cs.add(c("reduce_min", -2, 2, x -> x[0].reduceMin(0, 2), new int[] {2, 3, 4}));
        cs.add(c("reduce_min_all", -2, 2, x -> x[0].reduceMin(), new int[] {2, 3, 4}));
        cs.add(c("reduce_prod", -2, 2, x -> x[0].prod(1), new int[] {2, 3, 4}));
        cs.add(c("reduce_prod_axes_0_2", -2, 2, x -> x[0].prod(0, 2), new int[] {3, 2, 5}));
        cs.add(c("reduce_prod_all_odd", -1.5, 1.5, x -> x[0].prod(), new int[] {7}));
        cs.add(c("reduce_prod_single", -2, 2, x -> x[0].prod(1).exp(), new int[] {3, 1}));
        cs.add(c("argmax_take_along_axis", -2, 2, x -> x[0].takeAlongAxis(x[0].argmax(1, true), 1).mul(x[1]), s23, new int[] {2, 1}));
        cs.add(c("argmin_gather", -2, 2, x -> x[1].gather(x[0].argmin(1), 0).tanh(), s23, new int[] {3, 2}));
        for (boolean rev : new boolean[] {false, true}) {
            for (int axis = 0; axis < 3; axis++) {
                int a = axis;
                cs.add(c("cumsum_" + a + (rev ? "_reverse" : ""), -2, 2, x -> x[0].cumsum(a, rev).square(), new int[] {2, 3, 4}));
            }
        }
        cs.add(c("gather_scalar_index", -2, 2, x -> x[0].gather(ints(x[0], new int[0], 2), 1).square(), new int[] {2, 3, 4}));
        cs.add(c("gather_repeats", -2, 2, x -> x[0].gather(ints(x[0], new int[] {5}, 2, 0, 2, 2, 1), 0).mul(x[0].gather(
                ints(x[0], new int[] {5}, 1, 1, 0, 2, 0), 0)), new int[] {3, 2}));
        cs.add(c("gather_matrix_index_i64", -2, 2, x -> x[0].gather(longs(x[0], new int[] {2, 2}, 3, 0, 3, 1), 1).sin(), new int[] {2, 4}));
        cs.add(c("take_along_axis_repeats", -2, 2, x -> x[0].takeAlongAxis(ints(x[0], new int[] {2, 4}, 1, 1, 0, 1, 2, 2, 2, 0), 1)
                .square(), s23));
        cs.add(c("scatter_add", -2, 2, x -> x[0].scatterAdd(ints(x[0], new int[] {2, 2}, 2, 2, 0, 2), x[1], 1).square(),
                s23, new int[] {2, 2}));
        cs.add(c("scatter_add_axis0", -2, 2, x -> x[0].scatterAdd(ints(x[0], new int[] {3, 2}, 1, 0, 1, 1, 1, 0), x[1].tanh(), 0)
                .mul(x[0]), s23, new int[] {3, 2}));
        cs.add(c("scatter_add_updates_only", -2, 2, x -> x[0].graph().fill(0.5, 2, 3).scatterAdd(
                ints(x[0], new int[] {2, 3}, 0, 0, 2, 1, 1, 1), x[0], 1).exp(), s23));
        cs.add(c("convert_f64_and_back", -2, 2, x -> x[0].convert(DType.F64).exp().mul(x[1].convert(DType.F64)).convert(DType.F32), s23, s23));
        cs.add(c("convert_to_int_is_constant", -2, 2, x -> x[0].mul(1.7).convert(DType.I32).convert(DType.F32).mul(x[0]).add(x[0].cos()), s23));
        cs.add(c("dot_general_batch", -2, 2, x -> x[0].dotGeneral(x[1], new int[] {2}, new int[] {0}, new int[] {0}, new int[] {1}),
                new int[] {2, 3, 4}, new int[] {4, 2, 5}));
        cs.add(c("matmul", -2, 2, x -> x[0].matmul(x[1]), new int[] {3, 4}, new int[] {4, 2}));
        cs.add(c("transpose", -2, 2, x -> x[0].transpose(2, 0, 1).mul(x[1]), new int[] {2, 3, 4}, new int[] {4, 2, 3}));
        cs.add(c("reshape", -2, 2, x -> x[0].reshape(6, 4).exp(), new int[] {2, 3, 4}));
        cs.add(c("pad", -2, 2, x -> x[0].pad(new int[] {1, -1}, new int[] {-1, 2}, new int[] {1, 0}).square(), new int[] {3, 4}));
        cs.add(c("slice", -2, 2, x -> x[0].slice(new int[] {1, 0}, new int[] {5, 5}, new int[] {2, 3}).square(), new int[] {5, 6}));
        cs.add(c("rev", -2, 2, x -> x[0].rev(1).mul(x[0]), new int[] {3, 4}));
        cs.add(c("concatenate", -2, 2, x -> Tensor.concatenate(1, x[0], x[1], x[0]).square(), s23, new int[] {2, 2}));
        cs.add(c("conv", -2, 2, x -> conv(x[0], x[1], 2, 1, 0, 1, 1, 1), new int[] {1, 5, 2}, new int[] {2, 2, 3}));
        cs.add(c("conv_grouped_dilated", -2, 2, x -> conv(x[0], x[1], 1, -1, 2, 2, 2, 2), new int[] {2, 4, 4}, new int[] {3, 2, 4}));
        cs.add(c("conv_depthwise_2d", -2, 2, x -> x[0].graph().add(new Conv(Ints.of(2, 1), Ints.of(1, 0), Ints.of(0, 1),
                Ints.of(1, 2), Ints.of(1, 1), 3), x[0], x[1]), new int[] {1, 3, 3, 3}, new int[] {2, 2, 1, 3}));
        cs.add(c("composite_mlp", -1, 1, x -> x[0].matmul(x[1]).tanh().matmul(x[2]).sigmoid().log().neg().mean(),
                new int[] {2, 3}, new int[] {3, 4}, new int[] {4, 2}));
        return cs.stream().map(Arguments::of);
    }

    /** An i32 index constant in {@code like}'s graph. */
    static Tensor ints(Tensor like, int[] shape, double... values) { return like.graph().constant(DType.I32, Shape.of(shape), values); }

    /** An i64 index constant in {@code like}'s graph. */
    static Tensor longs(Tensor like, int[] shape, double... values) { return like.graph().constant(DType.I64, Shape.of(shape), values); }

    static Tensor conv(Tensor x, Tensor k, int stride, int lo, int hi, int lhsDil, int rhsDil, int groups) {
        return x.graph().add(new Conv(Ints.of(stride), Ints.of(lo), Ints.of(hi), Ints.of(lhsDil), Ints.of(rhsDil), groups), x, k);
    }

    record Built(Graph g, Tensor y, List<Tensor> inputs, Map<Tensor, NdArray> feeds) {}

    static Built build(Case c, long seed) {
        Graph g = new Graph();
        Random rnd = new Random(seed);
        Tensor[] xs = new Tensor[c.shapes().length];
        Map<Tensor, NdArray> feeds = new HashMap<>();
        for (int i = 0; i < xs.length; i++) {
            xs[i] = g.input("x" + i, c.shapes()[i]);
            feeds.put(xs[i], T.random(xs[i].shape(), rnd, c.lo(), c.hi()));
        }
        return new Built(g, c.f().apply(xs), List.of(xs), feeds);
    }

    static final double TOL = 1e-6;

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void firstOrder(Case c) {
        Built b = build(c, 7);
        for (GradCheck.Report r : GradCheck.vjp(b.y(), b.inputs(), b.feeds())) assertTrue(r.passes(TOL), c + " vjp " + r);
        GradCheck.Report r = GradCheck.jvp(b.y(), b.inputs(), b.feeds());
        assertTrue(r.passes(TOL), c + " jvp " + r);
    }

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void secondOrder(Case c) {
        Built b = build(c, 11);
        Graph g = b.g();
        // A scalar of the output with random weights, so that every output element matters.
        NdArray w = T.gaussian(b.y().shape(), new Random(3));
        Tensor loss = b.y().mul(g.constant(w.shape(), w.data())).sum();
        List<Tensor> grads = Autodiff.grad(loss, b.inputs());
        for (int i = 0; i < grads.size(); i++) {
            // grad of grad: reverse mode over the gradient's nodes
            for (GradCheck.Report r : GradCheck.vjp(grads.get(i), b.inputs(), b.feeds(), 1e-5, 5)) {
                assertTrue(r.passes(1e-5), c + " grad of grad[" + i + "] " + r);
            }
            // jvp of vjp: forward mode over the gradient's nodes
            GradCheck.Report r = GradCheck.jvp(grads.get(i), b.inputs(), b.feeds(), 1e-5, 5);
            assertTrue(r.passes(1e-5), c + " jvp of vjp[" + i + "] " + r);
        }
    }
}
