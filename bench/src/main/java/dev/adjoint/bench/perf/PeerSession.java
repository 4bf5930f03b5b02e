package dev.adjoint.bench.perf;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A peer process kept running for a whole headline block ({@code bench/peers/headline.py --serve}),
 * asked for one timed window at a time, so that {@link HeadlineReport} can alternate the peer's
 * windows with Adjoint's. The machine's state changes while a headline runs (on the shared 2-core
 * machines, for seconds at a time the host gives both vCPUs one core's FMA pipes: an FMA loop on 2 threads ran
 * 215 GFLOP/s per thread for 9 s, then 95, docs/perf/gemm.md wave 8); windows taken side by side
 * see the same state, blocks minutes apart do not.
 *
 * <p>Like {@link Peers#output}, the process runs without {@code OPENBLAS_CORETYPE} and
 * {@code OPENBLAS_L2_SIZE}. Its standard error is dropped.
 */
final class PeerSession implements AutoCloseable {
    /** How long one answer may take beyond its window (the first request also builds and warms the workload). */
    private static final long ANSWER_SLACK_NANOS = TimeUnit.SECONDS.toNanos(120);

    /** One answer: seconds per run over the window, and the library that ran it. */
    record Window(double secondsPerRun, String library) {}

    private final Process process;
    private final Writer requests;
    private final BufferedReader answers;
    private boolean broken;

    private PeerSession(Process process) {
        this.process = process;
        this.requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts {@code script} (headline.py) in serving mode on {@code threads} threads. */
    static PeerSession start(Path script, int threads) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(List.of(Peers.PYTHON, script.toString(), "--serve", "--threads", String.valueOf(threads)))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        return new PeerSession(pb.start());
    }

    /**
     * One window of {@code seconds} of workload {@code id}, or null when the peer does not know the
     * id, has died, or did not answer in time (then the session is broken and answers null from then on).
     */
    Window window(String id, double seconds) {
        if (broken) return null;
        try {
            requests.write(String.format(Locale.ROOT, "window %s %.4f%n", id, seconds));
            requests.flush();
            long deadline = System.nanoTime() + (long) (seconds * 1e9) + ANSWER_SLACK_NANOS;
            while (!answers.ready()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    broken = true;
                    return null;
                }
                Thread.sleep(1);
            }
            String line = answers.readLine();
            String[] f = line == null ? new String[0] : line.trim().split("\\s+");
            // "window ID SECONDS_PER_RUN LIBRARY" or "unknown ID"
            if (f.length == 4 && f[0].equals("window") && f[1].equals(id)) return new Window(Double.parseDouble(f[2]), f[3]);
            if (f.length == 2 && f[0].equals("unknown")) return null;
            broken = true;
            return null;
        } catch (IOException | NumberFormatException e) {
            broken = true;
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broken = true;
            return null;
        }
    }

    @Override
    public void close() {
        try {
            requests.close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
