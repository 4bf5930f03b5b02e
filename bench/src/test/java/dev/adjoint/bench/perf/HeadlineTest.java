package dev.adjoint.bench.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.kernels.WorkSplitter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
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

    @Test void thePeerTimesEveryIdOneWindowAtATime() {
        assumeTrue(Peers.unavailable(Path.of("peers/kernels.py")) == null, "needs /usr/bin/python3 with numpy and torch");
        try (PeerSession peer = startPeer()) {
            for (String id : Headline.ids(true)) {
                PeerSession.Window w = peer.window(id, 0.001);
                assertNotNull(w, id + ": no answer");
                assertTrue(w.secondsPerRun() > 0 && Double.isFinite(w.secondsPerRun()), id + ": " + w);
                assertTrue(Set.of("numpy", "torch").contains(w.library()), id + ": " + w.library());
            }
            assertNotNull(peer.window("gemm-128", 0.001), "a second window of a built workload");
            assertNull(peer.window("no-such-workload", 0.001), "an unknown id has no figure");
            assertNotNull(peer.window("gemm-128", 0.001), "the session goes on after an unknown id");
        }
    }

    @Test void aPeerThatDiesOrGarblesAnswersNullNotAHang(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(Peers.PYTHON)), "needs " + Peers.PYTHON);
        Path dies = dir.resolve("dies.py"), garbles = dir.resolve("garbles.py");
        Files.writeString(dies, "import sys\nsys.exit(3)\n");
        Files.writeString(garbles, "import sys\nfor line in sys.stdin:\n    print('window gemm-128 fast numpy', flush=True)\n");
        for (Path script : new Path[] {dies, garbles}) {
            try (PeerSession peer = PeerSession.start(script, 1)) {
                assertNull(peer.window("gemm-128", 0.001), script.getFileName().toString());
                assertNull(peer.window("gemm-128", 0.001), script.getFileName() + ", asked again");
            }
        }
    }

    private static PeerSession startPeer() {
        try {
            return PeerSession.start(Path.of("peers/headline.py"), 1);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
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
