package dev.adjoint.bench.train;

import dev.adjoint.graph.Graph;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Records which nodes each layer (or other named part of a model) added to a graph, as ranges of
 * node ids: the graph appends nodes in order, so a layer built between two points owns the ids
 * between them. {@code adjoint graph} draws each range as a cluster.
 */
public final class Scopes {
    /**
     * One named range of node ids.
     *
     * @param name what built the nodes, e.g. {@code "conv1 5x5x6"}
     * @param from first node id (inclusive)
     * @param to last node id (exclusive)
     */
    public record Scope(String name, int from, int to) {}

    private final List<Scope> scopes = new ArrayList<>();

    /** Runs {@code body} and records the nodes it adds to {@code g} under {@code name}. */
    public <T> T record(Graph g, String name, Supplier<T> body) {
        int from = g.size();
        T result = body.get();
        if (g.size() > from) scopes.add(new Scope(name, from, g.size()));
        return result;
    }

    /** The scopes recorded so far, in order. */
    public List<Scope> scopes() { return List.copyOf(scopes); }

    /** The name of the scope holding node {@code id}, or null. */
    public String nameOf(int id) {
        for (Scope s : scopes) if (id >= s.from() && id < s.to()) return s.name();
        return null;
    }
}
