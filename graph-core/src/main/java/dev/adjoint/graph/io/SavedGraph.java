package dev.adjoint.graph.io;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A graph as read from a file together with its named outputs (e.g. {@code "loss"}), so that a
 * program that loads a graph knows which nodes to evaluate without relying on node ids.
 *
 * @param graph the loaded graph, node for node (ids, ops, shapes, call sites) as written
 * @param outputs the named outputs, in the order written; handles on {@code graph}; unmodifiable
 */
public record SavedGraph(Graph graph, Map<String, Tensor> outputs) {
    /** Checks that every output belongs to {@code graph} and copies the map, keeping its order. */
    public SavedGraph {
        Objects.requireNonNull(graph, "graph");
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
            Tensor t = Objects.requireNonNull(e.getValue(), "output " + e.getKey());
            if (t.graph() != graph) throw new IllegalArgumentException("output \"" + e.getKey() + "\" belongs to another graph");
            copy.put(Objects.requireNonNull(e.getKey(), "output name"), t);
        }
        outputs = Collections.unmodifiableMap(copy);
    }

    /** The output named {@code name}. */
    public Tensor output(String name) {
        Tensor t = outputs.get(name);
        if (t == null) throw new IllegalArgumentException("saved graph has no output named \"" + name + "\"; it has " + outputs.keySet());
        return t;
    }
}
