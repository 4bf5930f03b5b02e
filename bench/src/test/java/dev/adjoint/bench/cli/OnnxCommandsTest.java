package dev.adjoint.bench.cli;

import static dev.adjoint.bench.cli.CliTest.assertUsageError;
import static dev.adjoint.bench.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code adjoint onnx bench} and {@code adjoint onnx convert} on the small committed models of the onnx module. */
class OnnxCommandsTest {
    static final Path MODELS = Path.of("../onnx/src/test/resources/models");

    @Test void benchPrintsBothEnginesTheRatioAndTheirAgreement() {
        CliTest.Run r = run("onnx", "bench", MODELS.resolve("conv1d/model.onnx").toString(), "--threads", "2",
                "--runs", "5", "--warmup", "0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("f32[2, 4, 29], 2 thread(s)"), r.out()); // a static batch of 2
        assertTrue(Pattern.compile("(?m)^adjoint +[0-9.]+ +[0-9.]+ +[0-9.]+$").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("(?m)^onnxruntime +[0-9.]+ +[0-9.]+ +[0-9.]+$").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("ratio onnxruntime/adjoint (median): "), r.out());
        Matcher m = Pattern.compile("max \\|adjoint - onnxruntime\\| = ([0-9.e+-]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) < 1e-4, "the engines disagree: " + r.out());
    }

    @Test void benchWithTokenIdsAndErrors() {
        CliTest.Run r = run("onnx", "bench", MODELS.resolve("transformer/model.onnx").toString(), "--batch", "3", "--runs", "2",
                "--warmup", "0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("i64[3, 12]"), r.out()); // the symbolic batch axis
        assertUsageError(run("onnx", "bench", "no-such.onnx"), "no-such.onnx");
        assertUsageError(run("onnx", "bench", MODELS.resolve("conv1d/model.onnx").toString(), "--threads", "0"), "--threads");
    }

    @Test void convertWritesAModelThatBenchAndTestRead(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("mlp.onnx");
        CliTest.Run r = run("onnx", "convert", MODELS.resolve("mlp_layernorm_gelu/model.onnx").toString(), out.toString(), "--batch", "2");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("after optimizing") && r.out().contains("opset 17"), r.out());
        // The converted model (static batch 2) passes the original's backend test.
        Path test = dir.resolve("t");
        Files.createDirectories(test.resolve("test_data_set_0"));
        Files.copy(out, test.resolve("model.onnx"));
        for (String f : new String[] {"input_0.pb", "output_0.pb"}) {
            Files.copy(MODELS.resolve("mlp_layernorm_gelu/test_data_set_0").resolve(f), test.resolve("test_data_set_0").resolve(f));
        }
        CliTest.Run t = run("onnx", "test", test.toString(), "--atol", "1e-4");
        assertEquals(0, t.code(), t.toString());
        assertTrue(t.out().contains("onnx: 1 passed, 0 failed, 0 unsupported"), t.out());
        assertUsageError(run("onnx", "convert", MODELS.resolve("conv1d/model.onnx").toString(), dir.resolve("x.txt").toString()), "x.txt");
    }
}
