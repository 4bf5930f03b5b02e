package dev.adjoint.bench.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner itself can fail: wrong values, wrong integer outputs and missing ops are each reported as such. */
class ConformanceRunnerTest {
    @TempDir Path dir;

    /** A one-family file holding {@code cases} (JSON objects), loaded. */
    private List<ConformanceCase> load(String family, String... cases) throws IOException {
        Path f = dir.resolve(family + ".json");
        Files.writeString(f, "{\"family\": \"" + family + "\", \"cases\": [" + String.join(",", cases) + "]}");
        return ConformanceCase.load(f);
    }

    /** exp(x) at x = [0, 1], with the expected output's second value given. */
    private static String expCase(String name, double second, double rtol) {
        return "{\"id\": \"unary/" + name + "\", \"op\": \"exp\", \"attrs\": {}, \"inputs\": [{\"name\": \"x\", \"shape\": [2],"
                + " \"data\": [0.0, 1.0]}], \"output\": {\"shape\": [2], \"data\": [1.0, " + second + "]},"
                + " \"tol\": {\"rtol\": " + rtol + ", \"atol\": 0.0}}";
    }

    @Test void backendNames() {
        assertEquals(Backend.INTERPRETER, Backend.of(null));
        assertEquals(Backend.INTERPRETER, Backend.of(" "));
        assertEquals(Backend.CPU, Backend.of("cpu"));
        assertEquals(Backend.CPU_F64, Backend.of("cpu-f64"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backend.of("gpu"));
        assertEquals("conformance.backend \"gpu\" is unknown; use interpreter, cpu or cpu-f64", e.getMessage());
    }

    @Test void toleranceIsNumpyAllclose() {
        Tolerance t = new Tolerance(1e-3, 1e-6);
        assertTrue(t.accepts(100, 100.1));
        assertFalse(t.accepts(100, 100.2));
        assertTrue(t.accepts(0, 1e-6));
        assertFalse(t.accepts(0, 2e-6));
        assertFalse(t.accepts(1, Double.NaN));
        assertTrue(Tolerance.EXACT.accepts(3, 3));
        assertFalse(Tolerance.EXACT.accepts(3, Math.nextUp(3.0)));
    }

    @Test void float32ToleranceFollowsSchemaSection3() throws IOException {
        ConformanceCase tight = load("unary", expCase("a", Math.E, 1e-10)).get(0);
        assertEquals(new Tolerance(1e-10, 0), Backend.INTERPRETER.tolerance(tight));
        assertEquals(new Tolerance(1e-10, 0), Backend.CPU_F64.tolerance(tight));
        assertEquals(new Tolerance(1e-4, 1e-5), Backend.CPU.tolerance(tight));
        ConformanceCase composite = load("nn", expCase("b", Math.E, 1e-10).replace("unary/", "nn/")).get(0);
        assertEquals(new Tolerance(1e-3, 1e-4), Backend.CPU.tolerance(composite));
        ConformanceCase norm = load("norm", expCase("b", Math.E, 1e-10).replace("unary/", "norm/")).get(0);
        assertEquals(new Tolerance(1e-4, 1e-5), Backend.CPU.tolerance(norm), "part 2's composites are held to the tight rule");
        ConformanceCase loose = load("unary", expCase("c", Math.E, 0.5)).get(0);
        assertEquals(new Tolerance(0.5, 1e-5), Backend.CPU.tolerance(loose), "a case's looser tolerance is kept");
    }

    @Test void aWrongValueFailsOnEveryBackend() throws IOException {
        List<ConformanceCase> cases = load("unary", expCase("right", Math.E, 1e-12), expCase("wrong", Math.E * (1 + 1e-3), 1e-12));
        for (Backend b : Backend.values()) {
            assertEquals(Conformance.Status.PASSED, Conformance.run(cases.get(0), b).status(), b.label());
            Conformance.Result r = Conformance.run(cases.get(1), b);
            assertEquals(Conformance.Status.FAILED, r.status(), b.label());
            assertTrue(r.checks().get(0).detail().contains("first mismatch at flat index 1 [1]"), r.checks().get(0).detail());
        }
    }

    @Test void integerOutputsAreComparedExactlyWhateverTheTolerance() throws IOException {
        String argmax = "{\"id\": \"reduce2/argmax_%s\", \"op\": \"argmax\", \"attrs\": {\"axis\": 0, \"keepdims\": false},"
                + " \"inputs\": [{\"name\": \"x\", \"shape\": [3], \"data\": [0.5, 3.0, 2.9]}],"
                + " \"output\": {\"shape\": [], \"data\": [%d]}, \"tol\": {\"rtol\": 10.0, \"atol\": 10.0}}";
        List<ConformanceCase> cases = load("reduce2", String.format(argmax, "right", 1), String.format(argmax, "wrong", 2));
        for (Backend b : Backend.values()) {
            assertEquals(Conformance.Status.PASSED, Conformance.run(cases.get(0), b).status(), b.label());
            Conformance.Result r = Conformance.run(cases.get(1), b);
            assertEquals(Conformance.Status.FAILED, r.status(), b.label());
            assertEquals(1, r.checks().size(), "an integer output has no derivative checks");
            assertTrue(r.checks().get(0).detail().contains("expected 2.0, got 1.0 (rtol 0.0e+00, atol 0.0e+00)"), r.checks().get(0).detail());
        }
    }

    @Test void anUnknownOpIsUnsupportedNotFailedAndTheReportCountsEachKind() throws IOException {
        List<ConformanceCase> cases = load("unary", expCase("right", Math.E, 1e-12), expCase("wrong", 3.0, 1e-12),
                expCase("cosh", Math.E, 1e-12).replace("\"exp\"", "\"cosh\""));
        List<Conformance.Result> results = cases.stream().map(c -> Conformance.run(c, Backend.INTERPRETER)).toList();
        assertEquals(Conformance.Status.UNSUPPORTED, results.get(2).status());
        String report = Conformance.report(Backend.INTERPRETER, results);
        assertTrue(report.startsWith("backend: interpreter\n"), report);
        assertTrue(report.contains("UNSUPPORTED x1 output: op \"cosh\" has no mapping to Adjoint"), report);
        assertTrue(report.contains("FAILED unary/wrong [output]"), report);
        assertTrue(report.endsWith("\nconformance: 1 passed, 1 failed, 1 unsupported"), report);
    }
}
