package dev.adjoint.graph.io;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * Renders a graph as Graphviz DOT text, for looking at it: {@code dot -Tsvg graph.dot -o graph.svg}.
 *
 * <p>One DOT node per graph node, labelled {@code %id op}, the op's attributes and the output
 * shape; inputs are green ellipses, constants and iotas grey notes, requested outputs bold. Edges
 * run from operand to user in operand order and carry the operand index when an op has more than
 * one operand (so that {@code sub(x, y)} and {@code sub(y, x)} look different). Each node and
 * each edge is on its own line, so the text also diffs well.
 */
public final class DotExport {
    private DotExport() {}

    /** The whole graph as DOT text. */
    public static String toDot(Graph graph) { return render(graph, null); }

    /**
     * The part of the graph that {@code outputs} depend on, as DOT text; the outputs are drawn bold.
     *
     * @throws IllegalArgumentException if an output belongs to another graph
     */
    public static String toDot(Graph graph, Collection<Tensor> outputs) {
        for (Tensor t : outputs) {
            if (t.graph() != graph) throw new IllegalArgumentException("output " + t + " belongs to another graph");
        }
        return render(graph, List.copyOf(outputs));
    }

    /** Writes {@link #toDot(Graph, Collection)} to {@code file} (the whole graph if {@code outputs} is empty). */
    public static void write(Graph graph, Collection<Tensor> outputs, Path file) throws IOException {
        Files.writeString(file, outputs.isEmpty() ? toDot(graph) : toDot(graph, outputs), StandardCharsets.UTF_8);
    }

    private static String render(Graph graph, List<Tensor> outputs) {
        int n = graph.size();
        boolean[] keep = new boolean[n];
        boolean[] isOutput = new boolean[n];
        if (outputs == null) {
            java.util.Arrays.fill(keep, true);
        } else {
            for (Tensor t : outputs) keep[t.id()] = isOutput[t.id()] = true;
            // Node order is topological, so one backward sweep marks everything the outputs need.
            for (int id = n - 1; id >= 0; id--) {
                if (!keep[id]) continue;
                var inputs = graph.node(id).inputs();
                for (int i = 0; i < inputs.size(); i++) keep[inputs.get(i)] = true;
            }
        }
        StringBuilder sb = new StringBuilder("digraph adjoint {\n");
        sb.append("  rankdir=TB;\n");
        sb.append("  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n");
        sb.append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        for (Node node : graph.nodes()) {
            if (!keep[node.id()]) continue;
            String attrs = node.op().attributes();
            String label = "%" + node.id() + " " + node.op().name() + (attrs.isEmpty() ? "" : "\n" + attrs) + "\n" + node.dtype().label() + node.shape();
            sb.append("  n").append(node.id()).append(" [label=").append(quote(label));
            switch (node.op()) {
                case Input in -> sb.append(", shape=ellipse, style=filled, fillcolor=\"#c8e6c9\"");
                case Constant c -> sb.append(", shape=note, style=filled, fillcolor=\"#e0e0e0\"");
                case Iota io -> sb.append(", shape=note, style=filled, fillcolor=\"#e0e0e0\"");
                default -> { }
            }
            if (isOutput[node.id()]) sb.append(", penwidth=2.5");
            sb.append(", tooltip=").append(quote(node.where())).append("];\n");
        }
        for (Node node : graph.nodes()) {
            if (!keep[node.id()]) continue;
            var inputs = node.inputs();
            for (int i = 0; i < inputs.size(); i++) {
                sb.append("  n").append(inputs.get(i)).append(" -> n").append(node.id());
                if (inputs.size() > 1) sb.append(" [label=\"").append(i).append("\"]");
                sb.append(";\n");
            }
        }
        return sb.append("}\n").toString();
    }

    /**
     * A DOT double-quoted string. Backslashes are doubled so that user text (input names) cannot
     * form DOT escapes such as {@code \N} or {@code \l}; quotes are escaped; line breaks become
     * {@code \n}, which DOT renders as a centred line break. Public so that tools drawing their own
     * DOT (the command line's clustered graphs) quote exactly as this class does.
     *
     * @param s the text
     * @return {@code s} as a DOT string literal, quotes included
     */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> { }
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
