package dev.adjoint.graph.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DotExportTest {

    /** Counts braces outside double-quoted strings (honouring backslash escapes) and checks the quotes close. */
    static void assertBalanced(String dot) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < dot.length(); i++) {
            char c = dot.charAt(i);
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
                assertTrue(depth >= 0, "unbalanced braces");
            }
        }
        assertFalse(inString, "unterminated string");
        assertEquals(0, depth, "unbalanced braces");
    }

    static List<String> lines(String dot, String pattern) {
        return dot.lines().filter(l -> l.matches(pattern)).toList();
    }

    @Test void oneLinePerNodeAndEdgeWithShapesAndOperandIndices() {
        Graph g = GraphFileRoundTripTest.everyOp();
        String dot = DotExport.toDot(g);
        assertTrue(dot.startsWith("digraph adjoint {\n"));
        assertTrue(dot.endsWith("}\n"));
        assertBalanced(dot);
        List<String> nodes = lines(dot, "  n\\d+ \\[label=.*];");
        List<String> edges = lines(dot, "  n\\d+ -> n\\d+( \\[label=\"\\d+\"])?;");
        assertEquals(g.size(), nodes.size());
        int expectedEdges = 0;
        for (Node n : g.nodes()) {
            expectedEdges += n.inputs().size();
            String line = nodes.get(n.id());
            assertTrue(line.startsWith("  n" + n.id() + " [label=\"%" + n.id() + " " + n.op().name()), line);
            assertTrue(line.contains(n.dtype().label() + n.shape()), line);
            for (int i = 0; i < n.inputs().size(); i++) {
                String edge = "  n" + n.inputs().get(i) + " -> n" + n.id() + (n.inputs().size() > 1 ? " [label=\"" + i + "\"]" : "") + ";";
                assertTrue(edges.contains(edge), edge);
            }
        }
        assertEquals(expectedEdges, edges.size());
        // the input label holds quotes: escaped, so the string does not end early
        assertTrue(dot.contains("input\\n\\\"x \\\"quoted\\\" ünïcode\\\"\\nf32[2, 3, 4]"), dot.lines().filter(l -> l.contains("quoted")).findFirst().orElse(""));
        assertTrue(nodes.get(0).contains("shape=ellipse"));
        assertTrue(lines(dot, ".*%2 constant.*").get(0).contains("shape=note"));
        assertTrue(dot.contains("conv\\nstrides=[2, 1] pad=[1, -1]/[0, 2] lhsDilation=[1, 2] rhsDilation=[2, 1] groups=2\\nf32[2, 2, 12, 6]"));
        assertTrue(dot.contains("dot_general\\ncontract=[2]x[1] batch=[0]x[0]\\nf32[2, 3, 5]"));
    }

    @Test void reachablePartOnly() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2), y = g.input("y", 2), unused = g.input("unused", 3);
        unused.exp();
        Tensor out = x.sub(y).tanh();
        String dot = DotExport.toDot(g, List.of(out));
        assertBalanced(dot);
        assertEquals(4, lines(dot, "  n\\d+ \\[label=.*").size());
        assertFalse(dot.contains("unused"));
        assertTrue(dot.contains("  n0 -> n4 [label=\"0\"];\n  n1 -> n4 [label=\"1\"];\n  n4 -> n5;\n"), dot);
        assertTrue(lines(dot, "  n5 \\[.*").get(0).contains("penwidth"));
        assertThrows(IllegalArgumentException.class, () -> DotExport.toDot(new Graph(), List.of(out)));
    }

    @Test void escapes() {
        assertEquals("\"a\\\"b\\\\c\\nd\"", DotExport.quote("a\"b\\c\nd"));
        assertEquals("\"\\\\N\"", DotExport.quote("\\N"));
    }

    /** If Graphviz happens to be installed, it must accept the text; it is never installed for this. */
    @Test void graphvizAcceptsTheOutputIfInstalled(@TempDir Path dir) throws IOException, InterruptedException {
        String dotBinary = null;
        for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, "dot"))) dotBinary = Path.of(p, "dot").toString();
        }
        Assumptions.assumeTrue(dotBinary != null, "graphviz not installed");
        Path file = dir.resolve("g.dot");
        DotExport.write(GraphFileRoundTripTest.everyOp(), List.of(), file);
        Process p = new ProcessBuilder(dotBinary, "-Tsvg", file.toString(), "-o", dir.resolve("g.svg").toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    }
}
