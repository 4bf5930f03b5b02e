package dev.adjoint.bench.cli;

import static dev.adjoint.graph.io.DotExport.quote;

import dev.adjoint.bench.train.Scopes;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import java.util.Collection;
import java.util.List;

/**
 * DOT text of the part of a graph that some outputs need, with the nodes of each recorded
 * {@link Scopes.Scope} (a layer, the loss, the gradient, the update) drawn inside one labelled
 * cluster. Nodes and edges look as in graph-core's {@code DotExport}; nodes outside every scope
 * (data, labels and parameters) stay at the top level.
 */
public final class ClusteredDot {
    private ClusteredDot() {}

    private static final String[] FILLS = {"#fff8e1", "#e3f2fd", "#f3e5f5", "#e8f5e9", "#fbe9e7", "#ede7f6", "#e0f7fa", "#fce4ec"};

    /** The DOT text. */
    public static String render(Graph graph, Collection<Tensor> outputs, List<Scopes.Scope> scopes) {
        int n = graph.size();
        boolean[] keep = new boolean[n], isOutput = new boolean[n];
        for (Tensor t : outputs) keep[t.id()] = isOutput[t.id()] = true;
        for (int id = n - 1; id >= 0; id--) {
            if (!keep[id]) continue;
            var inputs = graph.node(id).inputs();
            for (int i = 0; i < inputs.size(); i++) keep[inputs.get(i)] = true;
        }
        StringBuilder sb = new StringBuilder("digraph adjoint {\n");
        sb.append("  rankdir=TB;\n  compound=true;\n");
        sb.append("  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n");
        sb.append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        boolean[] placed = new boolean[n];
        int k = 0;
        for (Scopes.Scope s : scopes) {
            boolean any = false;
            for (int id = s.from(); id < s.to(); id++) any |= keep[id];
            if (!any) continue;
            sb.append("  subgraph cluster_").append(k).append(" {\n");
            sb.append("    label=").append(quote(s.name())).append("; fontname=\"Helvetica-Bold\"; fontsize=12;\n");
            sb.append("    style=\"rounded,filled\"; fillcolor=\"").append(FILLS[k % FILLS.length]).append("\"; color=\"#9e9e9e\";\n");
            for (int id = s.from(); id < s.to(); id++) {
                if (!keep[id] || placed[id]) continue;
                placed[id] = true;
                sb.append("  ");
                node(sb, graph.node(id), isOutput[id]);
            }
            sb.append("  }\n");
            k++;
        }
        for (Node node : graph.nodes()) {
            if (keep[node.id()] && !placed[node.id()]) node(sb, node, isOutput[node.id()]);
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

    private static void node(StringBuilder sb, Node node, boolean output) {
        String attrs = node.op().attributes();
        String label = "%" + node.id() + " " + node.op().name() + (attrs.isEmpty() ? "" : "\n" + attrs) + "\n" + node.shape();
        sb.append("  n").append(node.id()).append(" [label=").append(quote(label));
        switch (node.op()) {
            case Input in -> sb.append(", shape=ellipse, style=filled, fillcolor=\"#c8e6c9\"");
            case Constant c -> sb.append(", shape=note, style=filled, fillcolor=\"#e0e0e0\"");
            case Iota io -> sb.append(", shape=note, style=filled, fillcolor=\"#e0e0e0\"");
            default -> sb.append(", style=filled, fillcolor=white");
        }
        if (output) sb.append(", penwidth=2.5");
        sb.append(", tooltip=").append(quote(node.where())).append("];\n");
    }
}
