package dev.adjoint.bench.cli;

import static dev.adjoint.bench.cli.CliTest.assertUsageError;
import static dev.adjoint.bench.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.SavedGraph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code adjoint optimize}: the per-pass table, dumps, graph files in and out, errors. */
class OptimizeCommandTest {
    @TempDir Path dir;

    @Test void reportsEveryPassOfTheTrainingStep() {
        CliTest.Run r = run("optimize", "--model", "mlp", "--grad", "--batch", "4", "--report");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("mlp training step (batch 4), pipeline O2: "), r.out());
        for (String pass : new String[] {"simplify", "layout", "gradient", "fold-batch-norm"}) assertTrue(r.out().contains("\n" + pass + " "), r.out());
    }

    @Test void aGraphFileInAndOutWithADump() throws Exception {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        Path in = dir.resolve("m.adj"), out = dir.resolve("o.adj"), dump = dir.resolve("d.dot");
        GraphFile.write(g, Map.of("y", x.mul(1.0).neg().neg().exp()), in);
        CliTest.Run r = run("optimize", in.toString(), "--pipeline", "O1", "--dump-after", "simplify", "--dump-format", "dot",
                "--dump-file", dump.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("pipeline O1: 7 -> 2 nodes"), r.out());
        assertTrue(Files.readString(dump).startsWith("digraph"), Files.readString(dump));
        SavedGraph s = GraphFile.readSaved(out);
        assertEquals(2, s.graph().size());
        assertTrue(s.outputs().containsKey("y"));
    }

    @Test void mistakesNameTheFlag() {
        assertUsageError(run("optimize", "--pipeline", "O9"), "--pipeline");
        assertUsageError(run("optimize", "--dump-after", "nope"), "--dump-after nope");
        assertUsageError(run("optimize", dir.resolve("none.adj").toString()), "no such file");
    }
}
