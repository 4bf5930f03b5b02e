package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import dev.adjoint.graph.testing.RandomGraphs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Property test: on random graphs (graph-core's generator: elementwise ops with broadcasting,
 * reductions, contractions, movement ops, selects), every output's VJP and JVP with respect to
 * every input matches central differences.
 *
 * <p>One exception is recognized, not hidden: where an output depends on {@code sqrt} of an
 * exact zero (the generator builds constant-zero subexpressions such as {@code sqrt(|x - x|)}),
 * the chain rule multiplies a zero tangent by {@code sqrt'(0) = inf} and gives NaN, as JAX and
 * PyTorch do, while finite differences see a constant. Such outputs must then be NaN in the
 * analytic derivative and are counted separately; any other mismatch fails.
 */
class RandomGraphGradTest {
    @Test void randomGraphsMatchFiniteDifferences() {
        List<String> failures = new ArrayList<>();
        int checked = 0, singular = 0;
        for (long seed = 0; seed < 150; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(seed, 12);
            List<Tensor> inputs = new ArrayList<>(c.feeds().keySet());
            inputs.sort((a, b) -> Integer.compare(a.id(), b.id()));
            for (Tensor y : c.outputs()) {
                List<GradCheck.Report> reports = new ArrayList<>(GradCheck.vjp(y, inputs, c.feeds()));
                reports.add(GradCheck.jvp(y, inputs, c.feeds()));
                boolean ok = reports.stream().allMatch(r -> r.passes(1e-5));
                if (!ok && reports.stream().allMatch(r -> r.passes(1e-5) || hasNaN(r)) && sqrtOfZero(c, y)) {
                    singular++;
                } else if (!ok) {
                    failures.add("seed " + seed + " " + y + " " + reports);
                }
                checked++;
            }
        }
        failures.forEach(System.out::println);
        System.out.println("random graphs: " + checked + " outputs checked, " + singular + " at sqrt(0)");
        assertTrue(singular < checked / 20, singular + " singular of " + checked);
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " outputs failed; first: "
                + (failures.isEmpty() ? "" : failures.get(0)));
    }

    @Test void randomGraphsSecondOrderMatchesFiniteDifferencesOfTheGradient() {
        List<String> failures = new ArrayList<>();
        int checked = 0, singular = 0;
        for (long seed = 1000; seed < 1080; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(seed, 10);
            List<Tensor> inputs = new ArrayList<>(c.feeds().keySet());
            inputs.sort((a, b) -> Integer.compare(a.id(), b.id()));
            Tensor y = c.outputs().get(0);
            Tensor loss = y.mul(y.graph().constant(y.shape(), T.gaussian(y.shape(), new java.util.Random(seed)).data())).sum();
            for (Tensor gr : Autodiff.grad(loss, inputs)) {
                List<GradCheck.Report> reports = new ArrayList<>(GradCheck.vjp(gr, inputs, c.feeds(), 1e-5, 1));
                reports.add(GradCheck.jvp(gr, inputs, c.feeds(), 1e-5, 1));
                boolean ok = reports.stream().allMatch(r -> r.passes(1e-4));
                if (!ok && reports.stream().allMatch(r -> r.passes(1e-4) || hasNaN(r)) && sqrtOfZero(c, y)) singular++;
                else if (!ok) failures.add("seed " + seed + " " + y + " " + reports);
                checked++;
            }
        }
        failures.forEach(System.out::println);
        System.out.println("random graphs, second order: " + checked + " gradients checked, " + singular + " at sqrt(0)");
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " failed; first: "
                + (failures.isEmpty() ? "" : failures.get(0)));
    }

    /**
     * Op set v2 on top of the random graphs: each output goes through a random chain of the new
     * primitives (gather with index ranks 0..2 and repeated indices, take_along_axis,
     * scatter_add, cumsum either way, reduce_prod, reduce_min, erf, sin, cos, atan, log1p,
     * expm1, rem, floor, a float convert round trip), then both modes are checked against
     * central differences; for a third of the graphs, second order too.
     */
    @Test void randomGraphsThroughTheNewOps() {
        List<String> failures = new ArrayList<>();
        int checked = 0, singular = 0, secondOrder = 0;
        for (long seed = 0; seed < 120; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(5000 + seed, 8);
            java.util.Random rnd = new java.util.Random(seed);
            List<Tensor> inputs = new ArrayList<>(c.feeds().keySet());
            inputs.sort((a, b) -> Integer.compare(a.id(), b.id()));
            for (Tensor y0 : c.outputs()) {
                Tensor y = y0;
                for (int k = 0, n = 2 + rnd.nextInt(2); k < n; k++) y = newOp(y, rnd);
                List<GradCheck.Report> reports = new ArrayList<>(GradCheck.vjp(y, inputs, c.feeds()));
                reports.add(GradCheck.jvp(y, inputs, c.feeds()));
                if (seed % 3 == 0) {
                    Tensor loss = y.mul(y.graph().constant(y.shape(), T.gaussian(y.shape(), rnd).data())).sum();
                    for (Tensor gr : Autodiff.grad(loss, inputs)) reports.add(GradCheck.jvp(gr, inputs, c.feeds(), 1e-5, 1));
                    secondOrder++;
                }
                boolean ok = reports.stream().allMatch(r -> r.passes(1e-4));
                if (!ok && reports.stream().allMatch(r -> r.passes(1e-4) || hasNaN(r)) && sqrtOfZero(c, y)) singular++;
                else if (!ok) failures.add("seed " + seed + " " + y + " " + reports);
                checked++;
            }
        }
        failures.forEach(System.out::println);
        System.out.println("random graphs through v2 ops: " + checked + " outputs checked (" + secondOrder + " also second order), "
                + singular + " at sqrt(0)");
        assertTrue(singular < checked / 10, singular + " singular of " + checked);
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " outputs failed; first: "
                + (failures.isEmpty() ? "" : failures.get(0)));
    }

    /** One random new primitive applied to {@code a} (made rank >= 1 first), keeping values moderate. */
    private static Tensor newOp(Tensor a, java.util.Random rnd) {
        Graph g = a.graph();
        if (a.rank() == 0) a = a.reshape(1);
        int axis = rnd.nextInt(a.rank()), n = a.dim(axis);
        return switch (rnd.nextInt(12)) {
            case 0 -> {
                int[] is = new int[rnd.nextInt(3)];
                for (int i = 0; i < is.length; i++) is[i] = 1 + rnd.nextInt(3);
                yield a.gather(indices(g, rnd, n, is), axis);
            }
            case 1 -> {
                int[] is = a.shape().dims();
                is[axis] = 1 + rnd.nextInt(4);
                yield a.takeAlongAxis(indices(g, rnd, n, is), axis);
            }
            case 2 -> {
                int[] is = a.shape().dims();
                is[axis] = 1 + rnd.nextInt(4);
                Tensor idx = indices(g, rnd, n, is);
                yield a.scatterAdd(idx, a.takeAlongAxis(indices(g, rnd, n, is), axis).sin(), axis);
            }
            case 3 -> a.cumsum(axis, rnd.nextBoolean()).tanh();
            case 4 -> a.tanh().add(1.2).prod(axis); // factors in (0.2, 2.2): a bounded product
            case 5 -> a.reduceMin(axis);
            case 6 -> a.erf().mul(a.sin());
            case 7 -> a.cos().add(a.atan());
            case 8 -> a.abs().log1p().add(a.tanh().expm1());
            case 9 -> a.rem(g.constant(1.5)).add(a.mul(0.5));
            case 10 -> a.mul(a.floor().add(a.ceil()).add(a.round()).mul(0.1)).add(a);
            default -> a.convert(DType.F64).sin().convert(DType.F32);
        };
    }

    private static Tensor indices(Graph g, java.util.Random rnd, int size, int... shape) {
        double[] v = new double[Shape.of(shape).size()];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextInt(size);
        return g.constant(rnd.nextBoolean() ? DType.I32 : DType.I64, Shape.of(shape), v);
    }

    private static boolean hasNaN(GradCheck.Report r) {
        for (double v : r.analytic()) if (Double.isNaN(v)) return true;
        return false;
    }

    /** Whether {@code y} depends on a sqrt node whose argument has an exact zero. */
    private static boolean sqrtOfZero(RandomGraphs.Case c, Tensor y) {
        Graph g = c.graph();
        boolean[] dep = new boolean[y.id() + 1];
        dep[y.id()] = true;
        for (int id = y.id(); id >= 0; id--) {
            if (!dep[id]) continue;
            Node n = g.node(id);
            for (int i = 0; i < n.inputs().size(); i++) dep[n.inputs().get(i)] = true;
            if (n.op() instanceof Unary u && u.fn() == UnaryFn.SQRT) {
                NdArray arg = Interpreter.run(g, c.feeds(), g.tensor(n.inputs().get(0)));
                for (double v : arg.data()) if (v == 0.0) return true;
            }
        }
        return false;
    }
}
