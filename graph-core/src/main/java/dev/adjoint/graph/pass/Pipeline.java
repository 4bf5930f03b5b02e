package dev.adjoint.graph.pass;

import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;

/**
 * An ordered list of {@link Pass}es. Three levels come predefined, in the spirit of ONNX
 * Runtime's basic / extended / layout levels:
 * <ul>
 *   <li>{@link #O0}: dead-code elimination only;</li>
 *   <li>{@link #O1}: the {@link Optimizer} as it always was:
 *       algebraic rules, transpose folding into {@code dot_general}, constant folding, CSE, DCE;</li>
 *   <li>{@link #O2} (the default of {@code Cpu.compile}, since it beats O1 on every torchvision
 *       model measured; docs/PERFORMANCE.md): O1, then layout (transposes sunk through elementwise ops until they cancel),
 *       gradient-graph simplification, activation masks read from the activation's output,
 *       batch-norm folding, and O1 again to clean up.</li>
 * </ul>
 * Users assemble their own ({@link #of}), or add ({@link #then}, {@link #insertAfter}) and drop
 * ({@link #without}) passes.
 *
 * @param name the pipeline's name, for reports
 * @param passes the passes, in order
 */
public record Pipeline(String name, List<Pass> passes) {
    /** Copies the passes. */
    public Pipeline {
        Objects.requireNonNull(name, "name");
        passes = List.copyOf(passes);
    }

    /** Dead-code elimination only. */
    public static final Pipeline O0 = new Pipeline("O0", List.of(Passes.DCE));

    /** The optimizer as it always was. */
    public static final Pipeline O1 = new Pipeline("O1", List.of(Passes.SIMPLIFY));

    /** O1 plus layout, gradient simplification and batch-norm folding. */
    public static final Pipeline O2 = new Pipeline("O2",
            List.of(Passes.SIMPLIFY, Passes.LAYOUT, Passes.GRADIENT, Passes.ACTIVATION_MASKS, Passes.FOLD_BATCH_NORM, Passes.SIMPLIFY));

    /** What {@code Cpu.compile} runs unless told otherwise. */
    public static final Pipeline DEFAULT = O2;

    /** A pipeline of the given passes. */
    public static Pipeline of(String name, Pass... passes) { return new Pipeline(name, List.of(passes)); }

    /** {@code O0}, {@code O1} or {@code O2} by name. */
    public static Pipeline named(String level) {
        return switch (level.toUpperCase(java.util.Locale.ROOT)) {
            case "O0" -> O0;
            case "O1" -> O1;
            case "O2" -> O2;
            default -> throw new IllegalArgumentException("unknown pipeline " + level + "; the levels are O0, O1, O2");
        };
    }

    /** This pipeline with {@code pass} appended. */
    public Pipeline then(Pass pass) {
        List<Pass> all = new ArrayList<>(passes);
        all.add(pass);
        return new Pipeline(name + "+" + pass.name(), all);
    }

    /** This pipeline with {@code pass} inserted after every pass named {@code after}. */
    public Pipeline insertAfter(String after, Pass pass) {
        List<Pass> all = new ArrayList<>();
        boolean found = false;
        for (Pass p : passes) {
            all.add(p);
            if (p.name().equals(after)) {
                all.add(pass);
                found = true;
            }
        }
        if (!found) throw new IllegalArgumentException("pipeline " + name + " has no pass named " + after + "; it has " + names());
        return new Pipeline(name + "+" + pass.name(), all);
    }

    /** This pipeline without the passes named {@code pass}. */
    public Pipeline without(String pass) {
        List<Pass> all = new ArrayList<>(passes);
        if (!all.removeIf(p -> p.name().equals(pass))) {
            throw new IllegalArgumentException("pipeline " + name + " has no pass named " + pass + "; it has " + names());
        }
        return new Pipeline(name + "-" + pass, all);
    }

    /** The pass names, in order. */
    public List<String> names() { return passes.stream().map(Pass::name).toList(); }

    /**
     * How a pipeline runs.
     *
     * @param verify run {@link Verifier#verify} after every pass
     * @param verifyNumerics run {@link Verifier#verifyNumerics} after every pass (costly: the interpreter)
     * @param seed seed of the numeric check's random inputs
     * @param tolerance relative tolerance of the numeric check
     * @param report compute a {@link PassReport} per pass (FLOPs and peak bytes cost a sweep each)
     * @param peakBytes the peak-memory estimator of the reports ({@link Cost#peakBytes} by default;
     *     the executor passes one that plans buffers)
     * @param dumpAfter pass names after which {@code dump} receives the graph
     * @param dump receives (pass name, result) for the passes in {@code dumpAfter}
     */
    public record Options(boolean verify, boolean verifyNumerics, long seed, double tolerance, boolean report,
            ToLongFunction<List<Tensor>> peakBytes, Set<String> dumpAfter, BiConsumer<String, Rewritten> dump) {
        /** Copies the set. */
        public Options {
            Objects.requireNonNull(peakBytes, "peakBytes");
            dumpAfter = Set.copyOf(dumpAfter);
            Objects.requireNonNull(dump, "dump");
        }

        /** No verification, no reports. */
        public static Options fast() { return new Options(false, false, 1, 1e-9, false, Cost::peakBytes, Set.of(), (p, r) -> {}); }

        /** Structural and numeric verification after every pass, with reports: what the tests use. */
        public static Options checked() { return new Options(true, true, 1, 1e-9, true, Cost::peakBytes, Set.of(), (p, r) -> {}); }

        /** With structural verification on or off. */
        public Options withVerify(boolean on) { return new Options(on, verifyNumerics, seed, tolerance, report, peakBytes, dumpAfter, dump); }

        /** With numeric verification on or off (and structural verification on with it). */
        public Options withVerifyNumerics(boolean on) {
            return new Options(verify || on, on, seed, tolerance, report, peakBytes, dumpAfter, dump);
        }

        /** With reports on or off. */
        public Options withReport(boolean on) { return new Options(verify, verifyNumerics, seed, tolerance, on, peakBytes, dumpAfter, dump); }

        /** With another peak-bytes estimator for the reports. */
        public Options withPeakBytes(ToLongFunction<List<Tensor>> f) {
            return new Options(verify, verifyNumerics, seed, tolerance, report, f, dumpAfter, dump);
        }

        /** With the graph after the passes {@code names} given to {@code sink}. */
        public Options withDumpAfter(Set<String> names, BiConsumer<String, Rewritten> sink) {
            return new Options(verify, verifyNumerics, seed, tolerance, report, peakBytes, names, sink);
        }
    }

    /**
     * A pipeline's outcome.
     *
     * @param rewritten the final graph, with the inputs map from the original graph
     * @param reports one per pass, in order (empty if reports were off)
     */
    public record Result(Rewritten rewritten, List<PassReport> reports) {
        /** Copies the reports. */
        public Result { reports = List.copyOf(reports); }
    }

    /** Runs the passes without verification or reports. */
    public Rewritten apply(List<Tensor> outputs) { return run(outputs, Options.fast()).rewritten(); }

    /** Runs the passes in order over the graph {@code outputs} need. */
    public Result run(List<Tensor> outputs, Options options) {
        if (outputs.isEmpty()) throw new IllegalArgumentException("pipeline " + name + ": no outputs given");
        for (String d : options.dumpAfter()) {
            if (!names().contains(d)) throw new IllegalArgumentException("--dump-after " + d + ": pipeline " + name + " has passes " + names());
        }
        Rewritten total = Rebuild.run(outputs, Rebuild.COPY); // the needed part, and the identity map of inputs
        List<PassReport> reports = new ArrayList<>();
        for (Pass pass : passes) {
            List<Tensor> before = total.outputs();
            List<String> warnings = new ArrayList<>();
            long t0 = System.nanoTime();
            Rewritten r;
            try {
                r = Rebuild.clean(pass.apply(before, warnings::add));
            } catch (VerificationException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new IllegalStateException("pass " + pass.name() + " failed: " + e.getMessage(), e);
            }
            long nanos = System.nanoTime() - t0;
            if (options.verify()) Verifier.verify(pass.name(), before, r);
            if (options.verifyNumerics()) Verifier.verifyNumerics(pass.name(), before, r, options.seed(), options.tolerance());
            if (options.report()) {
                reports.add(new PassReport(pass.name(), before.get(0).graph().size(), r.graph().size(), Cost.flops(before),
                        Cost.flops(r.outputs()), options.peakBytes().applyAsLong(before), options.peakBytes().applyAsLong(r.outputs()),
                        nanos, warnings));
            }
            total = Rebuild.compose(total, r);
            if (options.dumpAfter().contains(pass.name())) options.dump().accept(pass.name(), total);
        }
        return new Result(total, reports);
    }

}
