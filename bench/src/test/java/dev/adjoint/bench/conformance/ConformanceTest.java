package dev.adjoint.bench.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite as a user feature: runs every case found (recursively) in the directory
 * named by the system property {@code conformance.dir} (default: the copy in the test resources,
 * part 1 and part 2 in {@code v2/}) on the backend named by {@code conformance.backend}
 * ({@code interpreter}, the default, {@code cpu} or {@code cpu-f64}; see {@link Backend}), prints
 * {@code backend: NAME}, a table per family and the line
 * {@code conformance: N passed, M failed, K unsupported}.
 *
 * <p>{@code mvn -pl bench -am test -Dconformance.dir=DIR} runs it on another directory (a
 * relative DIR is resolved against the current directory, else against the Maven root). A plain
 * {@code mvn test} runs it three times, once per backend (bench's pom.xml). {@code adjoint conformance DIR}
 * runs the same cases from the command line.
 */
class ConformanceTest {
    /** The number of cases in the bundled suite: 166 in part 1, 61 in part 2. */
    private static final int BUNDLED_CASES = 166 + 61;

    static Path casesDir() {
        String prop = System.getProperty("conformance.dir");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            String root = System.getProperty("adjoint.root");
            if (!p.isAbsolute() && !Files.exists(p) && root != null && !root.isBlank()) p = Path.of(root).resolve(prop);
            return p;
        }
        URL url = ConformanceTest.class.getResource("/conformance");
        if (url == null) throw new IllegalStateException("conformance: no -Dconformance.dir and no bundled /conformance resource");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isBundled(Path dir) {
        URL url = ConformanceTest.class.getResource("/conformance");
        try {
            return url != null && Files.isSameFile(dir, Path.of(url.toURI()));
        } catch (Exception e) {
            return false;
        }
    }

    private static List<Conformance.Result> runAll(List<ConformanceCase> cases, Backend backend) {
        List<Conformance.Result> out = new ArrayList<>();
        for (ConformanceCase c : cases) out.add(Conformance.run(c, backend));
        return out;
    }

    /**
     * Every check of every case: output, vjp, jvp, and for hvp cases grad, hvp and the Hessian.
     * Fails when any check fails or is unsupported; for the bundled suite, all 227 cases must be there.
     */
    @Test void allChecks() {
        Backend backend = Backend.of(System.getProperty("conformance.backend"));
        Path dir = casesDir();
        List<ConformanceCase> cases = ConformanceCase.loadAll(dir);
        assertFalse(cases.isEmpty(), "conformance: no cases (*.json) under " + dir.toAbsolutePath());
        if (isBundled(dir)) assertEquals(BUNDLED_CASES, cases.size(), "bundled suite size");
        List<Conformance.Result> results = runAll(cases, backend);
        String report = Conformance.report(backend, results);
        System.out.println("conformance cases from " + dir.toAbsolutePath() + "\n" + report);
        long failed = results.stream().filter(r -> r.status() == Conformance.Status.FAILED).count();
        long unsupported = results.stream().filter(r -> r.status() == Conformance.Status.UNSUPPORTED).count();
        assertTrue(failed == 0 && unsupported == 0, "backend " + backend + ": " + report.substring(report.lastIndexOf('\n') + 1));
    }
}
