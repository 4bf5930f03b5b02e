package dev.adjoint.graph.pass;

import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A graph pass: a named, documented function from a graph (the part its outputs need) to a new
 * graph computing the same outputs. Passes never modify their input graph. A {@link Pipeline}
 * runs passes in order; the built-in ones are in {@link Passes}.
 */
public interface Pass {
    /** A short name, used by {@link Pipeline#without}, reports and {@code --dump-after}. */
    String name();

    /** One sentence on what the pass does. */
    String description();

    /**
     * Rewrites the graph {@code outputs} belong to.
     *
     * @param warnings receives non-fatal remarks (e.g. a rule set that hit its bound on rounds)
     */
    Rewritten apply(List<Tensor> outputs, Consumer<String> warnings);

    /** A pass from a plain function. */
    static Pass of(String name, String description, Function<List<Tensor>, Rewritten> body) {
        Objects.requireNonNull(body, "body");
        return new Simple(name, description, body);
    }

    /**
     * A pass made from a function.
     *
     * @param name the name
     * @param description the description
     * @param body the rewrite
     */
    record Simple(String name, String description, Function<List<Tensor>, Rewritten> body) implements Pass {
        /** Requires a name and description. */
        public Simple {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
        }
        @Override public Rewritten apply(List<Tensor> outputs, Consumer<String> warnings) { return body.apply(outputs); }
    }
}
