package dev.adjoint.bench.conformance;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs conformance cases: builds each case's graph, evaluates it on a {@link Backend} (the float64
 * reference interpreter, or the executor in f32 or f64) and compares with the stored results
 * (numpy {@code allclose} with the backend's tolerance for the case, exact shapes; integer
 * outputs exactly). Checks: {@code output}; {@code vjp} and {@code jvp} through {@link Autodiff};
 * for {@code hvp} cases also {@code grad}, {@code hvp} (forward over reverse) and {@code hessian}
 * (one hvp per basis vector). Cases without derivatives (argmax, argmin) check the output only.
 *
 * <p>A check whose machinery throws {@link UnsupportedOperationException} (an op without a
 * mapping, an autodiff rule not written yet, a node the executor cannot compile) counts as
 * unsupported, not failed: the report separates what is wrong from what is missing.
 */
public final class Conformance {
    private Conformance() {}

    /** Outcome of a check or a case. */
    public enum Status {
        /** Matched within tolerance. */
        PASSED,
        /** Wrong value, wrong shape, or an unexpected exception. */
        FAILED,
        /** The engine lacks something the check needs. */
        UNSUPPORTED
    }

    /**
     * One comparison.
     *
     * @param name {@code output}, {@code vjp}, {@code jvp}, {@code grad}, {@code hvp} or {@code hessian}
     * @param status the outcome
     * @param detail why it failed or is unsupported; empty when it passed
     */
    public record Check(String name, Status status, String detail) {}

    /**
     * All checks of one case.
     *
     * @param c the case
     * @param checks its checks, in order
     */
    public record Result(ConformanceCase c, List<Check> checks) {
        /** FAILED if any check failed, else UNSUPPORTED if any is, else PASSED. */
        public Status status() {
            boolean unsupported = false;
            for (Check k : checks) {
                if (k.status() == Status.FAILED) return Status.FAILED;
                if (k.status() == Status.UNSUPPORTED) unsupported = true;
            }
            return unsupported ? Status.UNSUPPORTED : Status.PASSED;
        }
    }

    /** A freshly built case graph: one input node per case input, and the op's output. */
    private record Built(Backend backend, Graph g, List<Tensor> inputs, Tensor out, Map<Tensor, NdArray> feeds) {
        List<Tensor> differentiable(ConformanceCase c) {
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) if (!c.inputs().get(i).integer()) out.add(inputs.get(i));
            return out;
        }
    }

    /** Float inputs get the backend's float type; integer inputs (class ids, indices) are i64. */
    private static Built build(ConformanceCase c, Backend backend) {
        Graph g = new Graph();
        List<Tensor> in = new ArrayList<>();
        Map<Tensor, NdArray> feeds = new HashMap<>();
        for (ConformanceCase.Input i : c.inputs()) {
            Tensor t = g.input(i.name(), i.integer() ? DType.I64 : backend.floatType(), i.value().shape());
            in.add(t);
            feeds.put(t, i.value());
        }
        return new Built(backend, g, in, CaseGraphs.build(c, g, in), feeds);
    }

    /** The float type of the backend's graphs (cotangents, tangents and hvp directions are fed in it). */
    private static DType floatType(Built b) { return b.backend().floatType(); }

    /** A check body: returns its result, or throws (see {@link #guarded}). */
    private interface Body {
        Check run();
    }

    private static Check guarded(String name, Body body) {
        try {
            return body.run();
        } catch (UnsupportedOperationException e) {
            return new Check(name, Status.UNSUPPORTED, String.valueOf(e.getMessage()));
        } catch (RuntimeException | AssertionError e) {
            return new Check(name, Status.FAILED, e.toString());
        }
    }

    /** Runs every check of {@code c} on the reference interpreter. */
    public static Result run(ConformanceCase c) { return run(c, Backend.INTERPRETER); }

    /** Runs every check of {@code c} on {@code backend}. */
    public static Result run(ConformanceCase c, Backend backend) {
        List<Check> checks = new ArrayList<>();
        checks.add(guarded("output", () -> {
            Built b = build(c, backend);
            Tolerance tol = b.out().dtype().isFloat() ? backend.tolerance(c) : Tolerance.EXACT;
            return compare("output", tol, c.output(), eval(b, List.of(b.out())).get(0));
        }));
        if (c.vjp() != null && c.cotangent() != null) checks.add(guarded("vjp", () -> vjp(c, backend)));
        if (c.jvp() != null && c.tangents() != null) checks.add(guarded("jvp", () -> jvp(c, backend)));
        if (c.grad() != null) checks.add(guarded("grad", () -> grad(c, backend)));
        if (c.hvp() != null && c.hvpVector() != null) checks.add(guarded("hvp", () -> hvp(c, backend)));
        if (c.hessian() != null) checks.add(guarded("hessian", () -> hessian(c, backend)));
        return new Result(c, checks);
    }

    private static List<NdArray> eval(Built b, List<Tensor> outputs) { return b.backend().run(b.g(), b.feeds(), outputs); }

    private static Check vjp(ConformanceCase c, Backend backend) {
        Built b = build(c, backend);
        Tensor ct = b.g().input("__cotangent", floatType(b), c.cotangent().shape());
        b.feeds().put(ct, c.cotangent());
        List<Tensor> wrt = b.differentiable(c);
        List<Tensor> got = Autodiff.vjp(List.of(b.out()), List.of(ct), wrt);
        return comparePerInput("vjp", c, backend, c.vjp(), eval(b, got));
    }

    private static Check jvp(ConformanceCase c, Backend backend) {
        Built b = build(c, backend);
        List<Tensor> wrt = new ArrayList<>(), tangents = new ArrayList<>();
        for (int i = 0; i < b.inputs().size(); i++) {
            if (c.inputs().get(i).integer()) continue;
            Tensor t = b.g().input("__tangent_" + i, floatType(b), c.tangents().get(i).shape());
            b.feeds().put(t, c.tangents().get(i));
            wrt.add(b.inputs().get(i));
            tangents.add(t);
        }
        List<Tensor> got = Autodiff.jvp(List.of(b.out()), wrt, tangents);
        return compare("jvp", backend.tolerance(c), c.jvp(), eval(b, got).get(0));
    }

    private static Check grad(ConformanceCase c, Backend backend) {
        Built b = build(c, backend);
        List<Tensor> grads = Autodiff.grad(b.out(), b.differentiable(c));
        return comparePerInput("grad", c, backend, c.grad(), eval(b, grads));
    }

    /** Forward over reverse: the jvp of the gradient along v, with v fed as inputs named {@code __v_i}. */
    private record HvpGraph(Built b, List<Tensor> vs, List<Tensor> hvps) {}

    private static HvpGraph hvpGraph(ConformanceCase c, Backend backend) {
        Built b = build(c, backend);
        List<Tensor> wrt = b.differentiable(c);
        List<Tensor> grads = Autodiff.grad(b.out(), wrt);
        List<Tensor> vs = new ArrayList<>();
        for (int i = 0; i < b.inputs().size(); i++) {
            if (!c.inputs().get(i).integer()) vs.add(b.g().input("__v_" + i, floatType(b), c.inputs().get(i).value().shape()));
        }
        return new HvpGraph(b, vs, Autodiff.jvp(grads, wrt, vs));
    }

    private static Check hvp(ConformanceCase c, Backend backend) {
        HvpGraph h = hvpGraph(c, backend);
        int k = 0;
        for (int i = 0; i < c.inputs().size(); i++) if (!c.inputs().get(i).integer()) h.b().feeds().put(h.vs().get(k++), c.hvpVector().get(i));
        return comparePerInput("hvp", c, backend, c.hvp(), eval(h.b(), h.hvps()));
    }

    private static Check hessian(ConformanceCase c, Backend backend) {
        HvpGraph h = hvpGraph(c, backend);
        int n = 0;
        for (Tensor v : h.vs()) n += v.shape().size();
        double[] hess = new double[n * n];
        Backend.Evaluator hvps = backend.prepare(h.b().g(), h.hvps());
        for (int row = 0; row < n; row++) {
            int offset = 0;
            for (Tensor v : h.vs()) {
                double[] e = new double[v.shape().size()];
                if (row >= offset && row < offset + e.length) e[row - offset] = 1;
                h.b().feeds().put(v, NdArray.of(v.shape(), e));
                offset += e.length;
            }
            int col = 0;
            for (NdArray part : hvps.run(h.b().feeds())) {
                for (double d : part.data()) hess[row * n + col++] = d;
            }
        }
        return compare("hessian", backend.tolerance(c), c.hessian(), NdArray.of(Shape.of(n, n), hess));
    }

    /** Compares the per-input results with the expected entries of the differentiable inputs. */
    private static Check comparePerInput(String name, ConformanceCase c, Backend backend, List<NdArray> expected, List<NdArray> actual) {
        int k = 0;
        for (int i = 0; i < c.inputs().size(); i++) {
            if (c.inputs().get(i).integer()) continue;
            Check one = compare(name + "[" + c.inputs().get(i).name() + "]", backend.tolerance(c), expected.get(i), actual.get(k++));
            if (one.status() != Status.PASSED) return new Check(name, one.status(), one.detail());
        }
        return new Check(name, Status.PASSED, "");
    }

    /** numpy allclose: {@code |a - e| <= atol + rtol * |e|} everywhere, shapes equal. */
    static Check compare(String name, Tolerance tol, NdArray expected, NdArray actual) {
        if (!expected.shape().equals(actual.shape())) {
            return new Check(name, Status.FAILED, name + ": shape " + actual.shape() + ", expected " + expected.shape());
        }
        double maxErr = 0;
        int first = -1;
        double[] e = expected.data(), a = actual.data();
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs(a[i] - e[i]);
            if (!tol.accepts(e[i], a[i])) {
                if (first < 0) first = i;
                maxErr = Double.isNaN(err) ? Double.NaN : Double.isNaN(maxErr) ? maxErr : Math.max(maxErr, err);
            } else if (!Double.isNaN(maxErr)) {
                maxErr = Math.max(maxErr, err);
            }
        }
        if (first < 0) return new Check(name, Status.PASSED, "");
        return new Check(name, Status.FAILED, String.format("%s: max abs error %.3e, first mismatch at flat index %d %s:"
                + " expected %s, got %s (rtol %.1e, atol %.1e)", name, maxErr, first,
                Arrays.toString(unflat(expected.shape(), first)), e[first], a[first], tol.rtol(), tol.atol()));
    }

    private static int[] unflat(Shape s, int f) {
        int[] idx = new int[s.rank()];
        for (int a = s.rank() - 1; a >= 0; a--) {
            idx[a] = f % s.dim(a);
            f /= s.dim(a);
        }
        return idx;
    }

    /**
     * The line {@code backend: NAME}, the per-family table, failure details, reasons for
     * unsupported checks, and the summary last line {@code conformance: N passed, M failed, K unsupported}.
     */
    public static String report(Backend backend, List<Result> results) {
        String[] checkNames = {"output", "vjp", "jvp", "grad", "hvp", "hessian"};
        Map<String, int[]> fam = new TreeMap<>();
        Map<String, int[][]> famChecks = new TreeMap<>();
        Map<String, Integer> reasons = new LinkedHashMap<>();
        StringBuilder failures = new StringBuilder();
        int passed = 0, failed = 0, unsupported = 0;
        for (Result r : results) {
            int[] f = fam.computeIfAbsent(r.c().family(), k -> new int[4]);
            int[][] fc = famChecks.computeIfAbsent(r.c().family(), k -> new int[checkNames.length][2]);
            f[0]++;
            switch (r.status()) {
                case PASSED -> { f[1]++; passed++; }
                case FAILED -> { f[2]++; failed++; }
                case UNSUPPORTED -> { f[3]++; unsupported++; }
            }
            for (Check k : r.checks()) {
                int ci = Arrays.asList(checkNames).indexOf(k.name());
                if (ci >= 0) {
                    fc[ci][1]++;
                    if (k.status() == Status.PASSED) fc[ci][0]++;
                }
                if (k.status() == Status.FAILED) {
                    failures.append("FAILED ").append(r.c().id()).append(" [").append(k.name()).append("] ").append(k.detail()).append('\n');
                } else if (k.status() == Status.UNSUPPORTED) {
                    reasons.merge(k.name() + ": " + k.detail(), 1, Integer::sum);
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("backend: ").append(backend.label()).append('\n');
        sb.append(String.format("%-14s %6s %7s %7s %12s", "family", "cases", "passed", "failed", "unsupported"));
        for (String n : checkNames) sb.append(String.format(" %9s", n));
        sb.append('\n');
        for (var e : fam.entrySet()) {
            int[] f = e.getValue();
            sb.append(String.format("%-14s %6d %7d %7d %12d", e.getKey(), f[0], f[1], f[2], f[3]));
            for (int[] fc : famChecks.get(e.getKey())) sb.append(String.format(" %9s", fc[1] == 0 ? "-" : fc[0] + "/" + fc[1]));
            sb.append('\n');
        }
        sb.append("(check columns: passed/run)\n");
        sb.append(failures);
        for (var e : reasons.entrySet()) sb.append("UNSUPPORTED x").append(e.getValue()).append(' ').append(e.getKey()).append('\n');
        sb.append("conformance: ").append(passed).append(" passed, ").append(failed).append(" failed, ").append(unsupported)
                .append(" unsupported");
        return sb.toString();
    }
}
