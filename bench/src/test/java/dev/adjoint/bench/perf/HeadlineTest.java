package dev.adjoint.bench.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.kernels.WorkSplitter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The headline suite: every workload builds and runs, the peer script knows every id, and --update rewrites only its section. */
class HeadlineTest {
    @Test void everyWorkloadBuildsAndRunsOnce() {
        Set<String> groups = new HashSet<>();
        for (String id : Headline.ids(true)) {
            Headline.Workload w = Headline.build(id, WorkSplitter.SERIAL);
            assertEquals(id, w.id());
            assertTrue(w.flops() > 0 ^ w.bytes() > 0, id + ": exactly one of flops and bytes");
            w.run().run();
            groups.add(w.group());
        }
        assertEquals(Set.of("gemm", "conv", "memory", "training"), groups);
    }

    @Test void thePeerScriptTimesEveryId() throws Exception {
        assumeTrue(Peers.unavailable(Path.of("peers/kernels.py")) == null, "needs /usr/bin/python3 with numpy and torch");
        List<String> cmd = new ArrayList<>(List.of(Peers.PYTHON, "peers/headline.py", "--threads", "1", "--reps", "1", "--window", "0.001"));
        List<String> ids = Headline.ids(true).stream().filter(i -> !i.equals("gemm-512")).toList();
        cmd.addAll(ids);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        for (String id : ids) assertTrue(out.contains("peer " + id + " "), id + " missing from:\n" + out);
    }

    @Test void updateReplacesOnlyTheGeneratedSection(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("P.md");
        Files.writeString(f, "# Title\n\nbefore\n" + HeadlineReport.BEGIN + "\nold table\n" + HeadlineReport.END + "\nafter\n");
        HeadlineReport.update(f, HeadlineReport.BEGIN + "\nnew table\n" + HeadlineReport.END + "\n");
        assertEquals("# Title\n\nbefore\n" + HeadlineReport.BEGIN + "\nnew table\n" + HeadlineReport.END + "\nafter\n", Files.readString(f));
        Path g = dir.resolve("Q.md");
        Files.writeString(g, "text\n");
        HeadlineReport.update(g, HeadlineReport.BEGIN + "\nt\n" + HeadlineReport.END + "\n");
        assertEquals("text\n\n" + HeadlineReport.BEGIN + "\nt\n" + HeadlineReport.END + "\n", Files.readString(g));
    }
}
