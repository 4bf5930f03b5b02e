package dev.adjoint.bench.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peer measurements: {@code bench/peers/kernels.py} times the same problems with numpy
 * (OpenBLAS) and PyTorch in the same session, when {@code /usr/bin/python3} has both. The peer's
 * environment drops {@code OPENBLAS_CORETYPE} and {@code OPENBLAS_L2_SIZE}, which would pin
 * OpenBLAS to a kernel chosen for another machine.
 */
public final class Peers {
    private Peers() {}

    static final String PYTHON = "/usr/bin/python3";

    /** Why the peers cannot run here, or null if they can. */
    public static String unavailable(Path script) {
        if (script == null || !Files.isRegularFile(script)) return "the peer script bench/peers/kernels.py is not here (run from a checkout)";
        if (!Files.isExecutable(Path.of(PYTHON))) return PYTHON + " is not installed";
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import numpy, torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) return PYTHON + " lacks numpy or torch (apt-get install python3-numpy python3-torch)";
        } catch (IOException e) {
            return PYTHON + " could not start: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return null;
    }

    /** Where the peer script is: under {@code adjoint.home} (set by the launcher) or the working directory. */
    public static Path script() {
        String home = System.getProperty("adjoint.home");
        for (Path base : home == null ? List.of(Path.of("")) : List.of(Path.of(home), Path.of(""))) {
            Path p = base.resolve("bench/peers/kernels.py");
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /**
     * The standard output of a peer command, run without {@code OPENBLAS_CORETYPE} and
     * {@code OPENBLAS_L2_SIZE} and given at most {@code minutes}; its standard error is dropped.
     */
    static String output(List<String> cmd, int minutes) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) p.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /**
     * Runs the peer on {@code kernels} and returns seconds per run by kernel name (kernels it
     * could not time are missing).
     */
    public static Map<String, Double> run(Path script, List<String> kernels, boolean quick, int threads) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString(), "--threads", String.valueOf(threads)));
        if (quick) cmd.add("--quick");
        cmd.addAll(kernels);
        String out = output(cmd, 10);
        Map<String, Double> seconds = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            // "peer KERNEL SECONDS_PER_RUN LIBRARY"
            if (f.length >= 3 && f[0].equals("peer")) {
                try {
                    seconds.put(f[1], Double.parseDouble(f[2]));
                } catch (NumberFormatException ignored) {
                    // not a figure
                }
            }
        }
        return seconds;
    }
}
