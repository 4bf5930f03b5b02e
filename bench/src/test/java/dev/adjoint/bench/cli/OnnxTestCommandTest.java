package dev.adjoint.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code adjoint onnx test}: one line per test, the summary line, exit codes 0 and 2 (on Debian's libonnx-testdata). */
class OnnxTestCommandTest {
    static final Path NODE = Path.of("/usr/share/libonnx-testdata/data/node");

    @Test void reportsEachTestAndTheSummary() {
        assumeTrue(Files.isDirectory(NODE), "libonnx-testdata is not installed");
        CliTest.Run r = CliTest.run("onnx", "test", NODE.resolve("test_abs").toString(), NODE.resolve("test_cast_FLOAT_to_FLOAT16").toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("pass        test_abs"), r.out());
        assertTrue(r.out().contains("unsupported test_cast_FLOAT_to_FLOAT16: type float16"), r.out());
        assertTrue(r.out().strip().endsWith("onnx: 1 passed, 0 failed, 1 unsupported"), r.out());
    }

    @Test void aMissingDirectoryIsAUsageError() {
        CliTest.Run r = CliTest.run("onnx", "test", "/no/such/dir");
        CliTest.assertUsageError(r, "/no/such/dir");
    }
}
