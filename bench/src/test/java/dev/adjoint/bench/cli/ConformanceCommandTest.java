package dev.adjoint.bench.cli;

import static dev.adjoint.bench.cli.CliTest.assertUsageError;
import static dev.adjoint.bench.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.bench.cli.CliTest.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code adjoint conformance DIR}: the runner's report on each backend, the exit codes, and one-line usage errors. */
class ConformanceCommandTest {
    /** exp(x) at x = [0, 1] with the expected output's second value given (e, or a wrong one). */
    private static String expCase(String name, double second) {
        return "{\"id\": \"unary/" + name + "\", \"op\": \"exp\", \"attrs\": {}, \"inputs\": [{\"name\": \"x\", \"shape\": [2],"
                + " \"data\": [0.0, 1.0]}], \"output\": {\"shape\": [2], \"data\": [1.0, " + second + "]},"
                + " \"cotangent\": {\"shape\": [2], \"data\": [1.0, 2.0]},"
                + " \"vjp\": [{\"shape\": [2], \"data\": [1.0, " + 2 * Math.E + "]}],"
                + " \"tol\": {\"rtol\": 1e-12, \"atol\": 0.0}}";
    }

    private static Path write(Path dir, String... cases) throws IOException {
        Files.writeString(dir.resolve("unary.json"), "{\"family\": \"unary\", \"cases\": [" + String.join(",", cases) + "]}");
        return dir;
    }

    @Test void helpNamesTheBackendsAndTheExitCodes() {
        Run r = run("conformance", "--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("--backend=interpreter|cpu|cpu-f64"), r.out());
        assertTrue(r.out().contains("Default: interpreter"), r.out());
        assertTrue(r.out().contains("Exit code 0 when all pass, 1 when any fails or is unsupported"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"interpreter", "cpu", "cpu-f64"})
    void passingCasesExitZeroOnEveryBackend(String backend, @TempDir Path dir) throws IOException {
        Run r = run("conformance", write(dir, expCase("a", Math.E), expCase("b", Math.E)).toString(), "--backend", backend);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("backend: " + backend + "\n"), r.out());
        assertTrue(r.out().contains("unary               2       2       0            0"), r.out());
        assertTrue(r.out().strip().endsWith("\nconformance: 2 passed, 0 failed, 0 unsupported"), r.out());
        assertEquals("", r.err());
    }

    @Test void theBackendDefaultsToTheInterpreter(@TempDir Path dir) throws IOException {
        Run r = run("conformance", write(dir, expCase("a", Math.E)).toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("backend: interpreter\n"), r.out());
    }

    @Test void aWrongValueFailsWithExitOneAndSaysWhere(@TempDir Path dir) throws IOException {
        Run r = run("conformance", write(dir, expCase("right", Math.E), expCase("wrong", 3.0)).toString(), "--backend", "cpu");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("FAILED unary/wrong [output] output: max abs error"), r.out());
        assertTrue(r.out().strip().endsWith("\nconformance: 1 passed, 1 failed, 0 unsupported"), r.out());
    }

    @Test void anUnsupportedOpExitsOne(@TempDir Path dir) throws IOException {
        Run r = run("conformance", write(dir, expCase("cosh", Math.E).replace("\"exp\"", "\"cosh\"")).toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("UNSUPPORTED x1 output: op \"cosh\" has no mapping to Adjoint"), r.out());
        assertTrue(r.out().strip().endsWith("\nconformance: 0 passed, 0 failed, 1 unsupported"), r.out());
    }

    @Test void badDirectoriesAndBackendsAreOneLineUsageErrors(@TempDir Path dir) throws IOException {
        assertUsageError(run("conformance", dir.resolve("none").toString()), "DIR " + dir.resolve("none") + ": no such directory");
        assertUsageError(run("conformance", dir.toString()), "no conformance cases");
        Files.writeString(dir.resolve("notes.txt"), "not a case file");
        assertUsageError(run("conformance", dir.toString()), "no conformance cases");
        assertUsageError(run("conformance", dir.toString(), "--backend", "gpu"), "--backend must be one of interpreter, cpu, cpu-f64, got 'gpu'");
        assertUsageError(run("conformance", write(dir, expCase("a", Math.E)).toString(), "--backend", ""), "--backend");
        assertUsageError(run("conformance"), "DIR");
    }

    @Test void aMalformedCaseFileNamesTheFileAndDebugShowsTheStackTrace(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("broken.json"), "{\"family\": \"unary\", \"cases\": [");
        assertUsageError(run("conformance", dir.toString()), dir.resolve("broken.json") + ": not valid JSON at line 1, column 31");
        Run r = run("conformance", dir.toString(), "--debug");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat dev.adjoint.bench.conformance.ConformanceCase.load"), r.err());
    }
}
