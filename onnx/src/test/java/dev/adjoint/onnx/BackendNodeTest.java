package dev.adjoint.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ONNX's own backend tests from Debian's libonnx-testdata, run on the CPU executor: the bar
 * is at least 600 of the node tests passing and no wrong answer anywhere (each test not passing is
 * unsupported, naming what it lacks). The per-test lines go to target/onnx-*.txt.
 */
class BackendNodeTest {
    static final Path DATA = Path.of(System.getProperty("onnx.testdata", "/usr/share/libonnx-testdata/data"));

    private static List<OnnxBackendTests.Result> run(String suite) throws IOException {
        Path dir = DATA.resolve(suite);
        assumeTrue(Files.isDirectory(dir), "libonnx-testdata is not installed (" + dir + ")");
        List<OnnxBackendTests.Result> results = OnnxBackendTests.run(List.of(dir), new CpuExecutor(), OnnxBackendTests.Options.defaults());
        StringBuilder sb = new StringBuilder();
        for (var r : results) sb.append(r.line()).append('\n');
        sb.append(OnnxBackendTests.summary(results)).append('\n');
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "onnx-" + suite + ".txt"), sb);
        System.out.println(suite + ": " + OnnxBackendTests.summary(results));
        return results;
    }

    private static String failures(List<OnnxBackendTests.Result> rs) {
        StringBuilder sb = new StringBuilder();
        for (var r : rs) if (r.status() == OnnxBackendTests.Status.FAILED) sb.append(r.line()).append('\n');
        return sb.toString();
    }

    private static long count(List<OnnxBackendTests.Result> rs, OnnxBackendTests.Status s) {
        return rs.stream().filter(r -> r.status() == s).count();
    }

    @Test void nodeTests() throws IOException {
        var rs = run("node");
        assertEquals("", failures(rs), "wrong answers");
        assertTrue(count(rs, OnnxBackendTests.Status.PASSED) >= 600, OnnxBackendTests.summary(rs));
    }

    @Test void pytorchConverted() throws IOException {
        var rs = run("pytorch-converted");
        assertEquals("", failures(rs), "wrong answers");
    }

    @Test void pytorchOperator() throws IOException {
        var rs = run("pytorch-operator");
        assertEquals("", failures(rs), "wrong answers");
    }
}
