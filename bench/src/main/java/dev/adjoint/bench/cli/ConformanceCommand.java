package dev.adjoint.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code adjoint conformance DIR}: runs the conformance cases of a directory. The runner
 * ({@code dev.adjoint.autodiff.conformance.Conformance}) is in autodiff's test sources for now;
 * until it moves to autodiff's main sources this command finds it only when it is on the class
 * path, and otherwise says so. Once it has moved, the reflective calls below become direct ones.
 */
@Command(name = "conformance", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class,
        description = {"Run the conformance cases of a directory.", "Runs the cases (JSON files in the format of autodiff/src/test/resources/conformance/SCHEMA.md)"
                + " in DIR and print a table per family and a last line 'conformance: N passed, M failed, K unsupported'.",
                "Exit code 0 when all pass, 1 when any fails or is unsupported, 2 on a usage error."})
public final class ConformanceCommand implements Callable<Integer> {
    static final String RUNNER = "dev.adjoint.autodiff.conformance.Conformance";
    static final String CASES = "dev.adjoint.autodiff.conformance.ConformanceCase";

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of conformance case files (*.json).")
    Path dir;

    @Option(names = "--backend", paramLabel = "interpreter|cpu|cpu-f64", description = "What evaluates the cases. Default: ${DEFAULT-VALUE}.")
    String backend = "interpreter";

    @Override public Integer call() throws Exception {
        if (!List.of("interpreter", "cpu", "cpu-f64").contains(backend)) {
            throw Flags.error(spec, "--backend must be one of interpreter, cpu, cpu-f64, got '" + backend + "'");
        }
        if (!Files.isDirectory(dir)) throw Flags.error(spec, "DIR " + dir + ": no such directory");
        Class<?> runner, cases;
        try {
            runner = Class.forName(RUNNER);
            cases = Class.forName(CASES);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("conformance: the runner is not available in this build (it is still in autodiff's"
                    + " test sources); meanwhile run: mvn -B -pl autodiff -am test -Dtest=ConformanceTest"
                    + " -Dsurefire.failIfNoSpecifiedTests=false -Dconformance.dir=" + dir.toAbsolutePath());
        }
        if (!backend.equals("interpreter")) {
            throw Flags.error(spec, "--backend " + backend + ": this build's conformance runner has only the interpreter");
        }
        List<?> all = (List<?>) cases.getMethod("loadAll", Path.class).invoke(null, dir);
        List<Object> results = new java.util.ArrayList<>();
        Class<?> caseType = cases;
        for (Object c : all) results.add(runner.getMethod("run", caseType).invoke(null, c));
        String report = (String) runner.getMethod("report", List.class).invoke(null, results);
        spec.commandLine().getOut().print(report);
        spec.commandLine().getOut().flush();
        boolean allPassed = true;
        for (Object r : results) allPassed &= "PASSED".equals(String.valueOf(r.getClass().getMethod("status").invoke(r)));
        return allPassed ? 0 : 1;
    }
}
