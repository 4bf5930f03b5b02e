package dev.adjoint.onnx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real models of {@code onnx/tools/make_models.py} in ONNX's backend-test layout. The three
 * small ones (under 100 KB each) are committed in {@code src/test/resources/models}; the six
 * torchvision classifiers (5 to 45 MB each) are generated once into {@code target/models} with
 * Debian's python3-torch, python3-torchvision and python3-onnx, and regenerated when the script
 * changes (a stamp holds its SHA-256). {@code -Donnx.models=DIR} reads them from DIR instead.
 */
final class RealModels {
    /** Committed, always available. */
    static final List<String> COMMITTED = List.of("transformer", "mlp_layernorm_gelu", "conv1d");
    /** Generated at test time. */
    static final List<String> GENERATED = List.of("resnet18", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x0_5",
            "efficientnet_b0", "densenet121");

    private static final Path SCRIPT = Path.of("tools/make_models.py");
    private static String unavailable; // why the generated models are missing, or null
    private static boolean tried;

    private RealModels() {}

    /** The model's directory, or null if it cannot be had here; {@link #whyUnavailable()} then says why. */
    static synchronized Path dir(String name) {
        if (COMMITTED.contains(name)) return Path.of("src/test/resources/models", name);
        String given = System.getProperty("onnx.models");
        if (given != null && !given.isBlank()) {
            Path d = Path.of(given, name);
            if (Files.exists(d.resolve("model.onnx"))) return d;
            unavailable = d + "/model.onnx does not exist (-Donnx.models=" + given + ")";
            return null;
        }
        if (!tried) {
            tried = true;
            unavailable = generate(Path.of("target/models"));
        }
        return unavailable == null ? Path.of("target/models", name) : null;
    }

    static synchronized String whyUnavailable() { return unavailable; }

    /** Generates the torchvision models into {@code out} unless the stamp says they are current; null on success. */
    private static String generate(Path out) {
        try {
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(SCRIPT)));
            Path stamp = out.resolve("STAMP");
            boolean current = Files.exists(stamp) && Files.readString(stamp).strip().equals(hash)
                    && GENERATED.stream().allMatch(n -> Files.exists(out.resolve(n).resolve("test_data_set_0/output_0.pb")));
            if (current) return null;
            Path python = Path.of("/usr/bin/python3");
            if (!Files.isExecutable(python)) return "no /usr/bin/python3";
            Process check = new ProcessBuilder(python.toString(), "-c", "import torch, torchvision, onnx").redirectErrorStream(true).start();
            String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (check.waitFor() != 0) {
                return "python3-torch, python3-torchvision or python3-onnx is not installed (apt-get install python3-torch"
                        + " python3-torchvision python3-onnx): " + lastLine(checkOut);
            }
            List<String> cmd = new ArrayList<>(List.of(python.toString(), SCRIPT.toString(), "--out", out.toString()));
            cmd.addAll(GENERATED);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) return "make_models.py failed: " + lastLine(log);
            Files.writeString(stamp, hash + "\n");
            return null;
        } catch (IOException | NoSuchAlgorithmException e) {
            return "cannot generate the models: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while generating the models";
        }
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1];
    }
}
