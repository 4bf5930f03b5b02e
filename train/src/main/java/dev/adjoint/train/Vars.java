package dev.adjoint.train;

import dev.adjoint.graph.Random;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a layer sees while it builds its nodes: its variables as graph tensors (under its name
 * prefix), the mode (training or evaluation), fresh dropout keys, and where to put updated state
 * (a batch norm's new running statistics). One {@code Vars} tree serves one trace.
 */
public final class Vars {
    /** One traced layer, for {@link Layer#summary} and {@link TrainStep#trace}: its nodes are ids {@code [from, to)}. */
    record Traced(String name, Layer layer, Tensor output, int from, int to) {}

    /** Shared by a whole trace. */
    private static final class Trace {
        final Map<String, Tensor> vars;
        final boolean training;
        Tensor key;
        final Map<String, Tensor> newState = new LinkedHashMap<>();
        final List<Traced> traced = new ArrayList<>();

        Trace(Map<String, Tensor> vars, boolean training, Tensor key) {
            this.vars = vars;
            this.training = training;
            this.key = key;
        }
    }

    private final Trace trace;
    private final String prefix;

    private Vars(Trace trace, String prefix) {
        this.trace = trace;
        this.prefix = prefix;
    }

    /**
     * The root of a trace.
     *
     * @param vars every variable's tensor by full name
     * @param training training mode (dropout active, batch norm on batch statistics)
     * @param key the dropout key (i32 {@code [2]}), or null if no layer needs one
     */
    public static Vars root(Map<String, Tensor> vars, boolean training, Tensor key) {
        return new Vars(new Trace(vars, training, key), "");
    }

    /** The scope of a child layer named {@code name} (its variables are {@code prefix + name + "."}). */
    public Vars child(String name) { return new Vars(trace, prefix + name + "."); }

    /** The tensor of this scope's variable {@code name}. */
    public Tensor get(String name) {
        Tensor t = trace.vars.get(prefix + name);
        if (t == null) throw new IllegalArgumentException("no variable " + prefix + name + " in this trace; it has " + trace.vars.keySet());
        return t;
    }

    /** Whether this is a training trace. */
    public boolean training() { return trace.training; }

    /** A key no other call in this trace gets: the trace's key is split in two, one half returned, the other kept. */
    public Tensor nextKey() {
        if (trace.key == null) throw new IllegalStateException("a layer under " + prefix + " needs a random key, but the trace has none");
        Tensor keys = Random.split(trace.key, 2);
        trace.key = Random.keyAt(keys, 1);
        return Random.keyAt(keys, 0);
    }

    /** Sets the new value of state variable {@code name} (returned by the step as the next value). */
    public void update(String name, Tensor value) { trace.newState.put(prefix + name, value); }

    /** The state updates of the trace, by full name. */
    public Map<String, Tensor> updates() { return trace.newState; }

    void record(String name, Layer layer, Tensor output, int from) {
        trace.traced.add(new Traced(prefix + name, layer, output, from, output.graph().size()));
    }

    List<Traced> traced() { return trace.traced; }
}
