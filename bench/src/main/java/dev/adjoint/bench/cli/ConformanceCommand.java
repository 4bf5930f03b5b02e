package dev.adjoint.bench.cli;

import dev.adjoint.bench.conformance.Backend;
import dev.adjoint.bench.conformance.Conformance;
import dev.adjoint.bench.conformance.ConformanceCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code adjoint conformance DIR [--backend interpreter|cpu|cpu-f64]}: runs the conformance cases
 * of a directory with the runner of {@code dev.adjoint.bench.conformance} (the one the test suite's
 * {@code ConformanceTest} uses) and prints its report: {@code backend: NAME}, a table per family,
 * failure details, and the last line {@code conformance: N passed, M failed, K unsupported}.
 */
@Command(name = "conformance", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class,
        description = {"Run the conformance cases of a directory.", "Runs the cases (JSON files, searched recursively, in the format of"
                + " bench/src/test/resources/conformance/SCHEMA.md) in DIR and prints a table per family and a last line"
                + " 'conformance: N passed, M failed, K unsupported'.",
                "Exit code 0 when all pass, 1 when any fails or is unsupported, 2 on a usage error."})
public final class ConformanceCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of conformance case files (*.json).")
    Path dir;

    @Option(names = "--backend", paramLabel = "interpreter|cpu|cpu-f64",
            description = "What evaluates the cases: the float64 reference interpreter, the executor in f32 or in f64. Default: ${DEFAULT-VALUE}.")
    String backend = "interpreter";

    @Override public Integer call() {
        Backend b = backend();
        if (!Files.isDirectory(dir)) throw Flags.error(spec, "DIR " + dir + ": no such directory");
        List<ConformanceCase> cases = ConformanceCase.loadAll(dir);
        if (cases.isEmpty()) throw Flags.error(spec, "DIR " + dir + ": no conformance cases (*.json files with \"cases\") in it");
        List<Conformance.Result> results = new ArrayList<>(cases.size());
        for (ConformanceCase c : cases) results.add(Conformance.run(c, b));
        spec.commandLine().getOut().println(Conformance.report(b, results));
        spec.commandLine().getOut().flush();
        boolean allPassed = results.stream().allMatch(r -> r.status() == Conformance.Status.PASSED);
        return allPassed ? 0 : 1;
    }

    /** The named backend; checked before the directory so that a typo is reported first, by its flag. */
    private Backend backend() {
        try {
            if (backend.isBlank()) throw new IllegalArgumentException("blank");
            return Backend.of(backend);
        } catch (IllegalArgumentException e) {
            throw Flags.error(spec, "--backend must be one of interpreter, cpu, cpu-f64, got '" + backend + "'");
        }
    }
}
