package dev.adjoint.autodiff;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Input;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Gradient checking against central finite differences, in float64 through the reference
 * {@link Interpreter}; usable on any graph whose differentiated tensors are inputs.
 *
 * <p>Reverse mode ({@link #vjp}): with a random cotangent {@code r}, the analytic
 * {@code vjp(output, r)} of each input is compared element by element with
 * {@code (<r, f(x + eps e_i)> - <r, f(x - eps e_i)>) / 2 eps}. Forward mode ({@link #jvp}): with
 * random tangents {@code v}, {@code jvp(output, v)} is compared element by element with
 * {@code (f(x + eps v) - f(x - eps v)) / 2 eps}. Both append the derivative nodes (and the random
 * cotangent or tangents, as constants) to the output's graph.
 *
 * <p>Errors: the absolute error is {@code |analytic - numeric|}; the relative error divides it by
 * {@code max(1, |analytic|, |numeric|)}, so that large derivatives compare relatively and tiny
 * ones absolutely (a pure ratio is meaningless near zero).
 */
public final class GradCheck {
    private GradCheck() {}

    /** The default central-difference step: balances truncation ({@code eps^2}) and rounding ({@code 1e-16 / eps}). */
    public static final double DEFAULT_EPS = 1e-6;

    /**
     * The comparison over one tensor's elements.
     *
     * @param name what was compared (the input's label, or "jvp")
     * @param maxAbsError largest {@code |analytic - numeric|}
     * @param maxRelError largest {@code |analytic - numeric| / max(1, |analytic|, |numeric|)}
     * @param worstIndex flat row-major index of the element with the largest relative error (-1 if none)
     * @param analytic the analytic derivative values
     * @param numeric the finite-difference values
     */
    public record Report(String name, double maxAbsError, double maxRelError, int worstIndex,
                         double[] analytic, double[] numeric) {
        /** Whether the largest relative error is at most {@code tol} (false if any value is NaN). */
        public boolean passes(double tol) { return maxRelError <= tol; }

        @Override public String toString() {
            return name + ": max abs error " + maxAbsError + ", max rel error " + maxRelError
                    + (worstIndex < 0 ? "" : " at index " + worstIndex + " (analytic " + analytic[worstIndex]
                    + ", numeric " + numeric[worstIndex] + ")");
        }
    }

    /** Reverse-mode check with the default step and a fixed seed; see {@link #vjp(Tensor, List, Map, double, long)}. */
    public static List<Report> vjp(Tensor output, List<Tensor> wrt, Map<Tensor, NdArray> feeds) {
        return vjp(output, wrt, feeds, DEFAULT_EPS, 42);
    }

    /**
     * Checks the reverse-mode derivative of {@code output} with respect to each of {@code wrt}.
     *
     * @param wrt input tensors of the output's graph, each fed in {@code feeds}
     * @param feeds values for every input the output depends on
     * @param eps the central-difference step
     * @param seed seeds the random cotangent
     * @return one report per wrt tensor, in order
     */
    public static List<Report> vjp(Tensor output, List<Tensor> wrt, Map<Tensor, NdArray> feeds, double eps, long seed) {
        Graph g = output.graph();
        requireInputs(wrt, feeds);
        Random rnd = new Random(seed);
        double[] r = new double[output.shape().size()];
        for (int i = 0; i < r.length; i++) r[i] = rnd.nextGaussian();
        Tensor ct = g.constant(output.dtype(), output.shape(), r);
        List<Tensor> grads = Autodiff.vjp(List.of(output), List.of(ct), wrt);
        List<NdArray> analytic = Interpreter.run(g, feeds, grads);
        List<Report> reports = new ArrayList<>();
        for (int w = 0; w < wrt.size(); w++) {
            Tensor x = wrt.get(w);
            double[] base = feeds.get(x).data();
            double[] numeric = new double[base.length];
            for (int i = 0; i < base.length; i++) {
                double[] plus = base.clone(), minus = base.clone();
                plus[i] += eps;
                minus[i] -= eps;
                double fp = dot(r, eval(g, feeds, x, plus, output));
                double fm = dot(r, eval(g, feeds, x, minus, output));
                numeric[i] = (fp - fm) / (2 * eps);
            }
            reports.add(compare(label(x), analytic.get(w).data(), numeric));
        }
        return reports;
    }

    /** Forward-mode check with the default step and a fixed seed; see {@link #jvp(Tensor, List, Map, double, long)}. */
    public static Report jvp(Tensor output, List<Tensor> wrt, Map<Tensor, NdArray> feeds) {
        return jvp(output, wrt, feeds, DEFAULT_EPS, 42);
    }

    /**
     * Checks the forward-mode derivative of {@code output} along random tangents of {@code wrt}.
     *
     * @param wrt input tensors of the output's graph, each fed in {@code feeds}
     * @param feeds values for every input the output depends on
     * @param eps the central-difference step
     * @param seed seeds the random tangents
     * @return one report over the output's elements
     */
    public static Report jvp(Tensor output, List<Tensor> wrt, Map<Tensor, NdArray> feeds, double eps, long seed) {
        Graph g = output.graph();
        requireInputs(wrt, feeds);
        Random rnd = new Random(seed);
        List<Tensor> tangents = new ArrayList<>();
        List<double[]> dirs = new ArrayList<>();
        for (Tensor x : wrt) {
            double[] v = new double[x.shape().size()];
            for (int i = 0; i < v.length; i++) v[i] = rnd.nextGaussian();
            dirs.add(v);
            tangents.add(g.constant(x.dtype(), x.shape(), v));
        }
        Tensor t = Autodiff.jvp(List.of(output), wrt, tangents).get(0);
        double[] analytic = Interpreter.run(g, feeds, t).data();
        Map<Tensor, NdArray> plus = new HashMap<>(feeds), minus = new HashMap<>(feeds);
        for (int w = 0; w < wrt.size(); w++) {
            Tensor x = wrt.get(w);
            double[] base = feeds.get(x).data(), v = dirs.get(w);
            double[] p = base.clone(), m = base.clone();
            for (int i = 0; i < base.length; i++) {
                p[i] += eps * v[i];
                m[i] -= eps * v[i];
            }
            plus.put(x, new NdArray(x.shape(), p));
            minus.put(x, new NdArray(x.shape(), m));
        }
        double[] fp = Interpreter.run(g, plus, output).data(), fm = Interpreter.run(g, minus, output).data();
        double[] numeric = new double[fp.length];
        for (int i = 0; i < fp.length; i++) numeric[i] = (fp[i] - fm[i]) / (2 * eps);
        return compare("jvp", analytic, numeric);
    }

    /** Compares analytic and numeric derivatives element by element. */
    public static Report compare(String name, double[] analytic, double[] numeric) {
        double maxAbs = 0, maxRel = 0;
        int worst = analytic.length == 0 ? -1 : 0;
        for (int i = 0; i < analytic.length; i++) {
            double a = analytic[i], n = numeric[i];
            double abs = Math.abs(a - n);
            double rel = abs / Math.max(1.0, Math.max(Math.abs(a), Math.abs(n)));
            if (Double.isNaN(rel)) rel = Double.POSITIVE_INFINITY;
            if (Double.isNaN(abs)) abs = Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, abs);
            if (rel > maxRel) {
                maxRel = rel;
                worst = i;
            }
        }
        return new Report(name, maxAbs, maxRel, worst, analytic, numeric);
    }

    private static void requireInputs(List<Tensor> wrt, Map<Tensor, NdArray> feeds) {
        for (Tensor x : wrt) {
            if (!(x.op() instanceof Input)) {
                throw new IllegalArgumentException("GradCheck: " + x + " is not an input; finite differences perturb fed inputs");
            }
            if (!feeds.containsKey(x)) throw new IllegalArgumentException("GradCheck: input " + x + " is not fed");
        }
    }

    private static String label(Tensor x) { return ((Input) x.op()).label(); }

    private static double[] eval(Graph g, Map<Tensor, NdArray> feeds, Tensor x, double[] value, Tensor output) {
        Map<Tensor, NdArray> f = new HashMap<>(feeds);
        f.put(x, new NdArray(x.shape(), value));
        return Interpreter.run(g, f, output).data();
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
