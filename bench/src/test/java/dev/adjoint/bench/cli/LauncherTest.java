package dev.adjoint.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The ./adjoint launcher on a machine without a JDK 25: one line, a non-zero exit, no build attempted. */
class LauncherTest {
    @Test void withoutJdk25ItSaysSoInOneLine() throws Exception {
        Path script = Path.of("").toAbsolutePath().getParent().resolve("adjoint");  // surefire runs in bench/
        assumeTrue(Files.isRegularFile(script) && Files.isExecutable(Path.of("/bin/bash")), "no launcher or bash here");
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", script.toString(), "train");
        pb.environment().remove("JAVA_HOME");
        pb.environment().put("ADJOINT_JVM_DIR", "/nonexistent-jvm-dir");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals("", out);
        assertEquals("adjoint: needs a JDK >= 25 (none in JAVA_HOME or under /nonexistent-jvm-dir); install one, e.g. Temurin 25\n", err);
    }
}
