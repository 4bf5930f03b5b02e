package dev.adjoint.train;

import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.CallSite;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Random;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named, ordered values of a model's variables (trainable parameters and state such as running
 * statistics), each with its {@link ParamSpec}. The map is immutable; the arrays are the values
 * (a training step returns a new {@code Params} rather than writing into an old one).
 */
public final class Params {
    private final Map<String, ParamSpec> specs;
    private final Map<String, HostArray> values;
    /** Set when a donating step took these arrays: they hold a newer state's values now. */
    private volatile boolean donated;

    private Params(Map<String, ParamSpec> specs, Map<String, HostArray> values) {
        this.specs = Collections.unmodifiableMap(specs);
        this.values = Collections.unmodifiableMap(values);
    }

    /**
     * Values for {@code specs}, in their order, checked against them.
     *
     * @throws IllegalArgumentException naming the variable and the caller's line if one is missing or has the wrong shape or type
     */
    public static Params of(List<ParamSpec> specs, Map<String, HostArray> values) {
        Map<String, ParamSpec> s = new LinkedHashMap<>();
        Map<String, HostArray> v = new LinkedHashMap<>();
        for (ParamSpec p : specs) {
            if (s.put(p.name(), p) != null) throw new IllegalArgumentException("two variables are named " + p.name());
            HostArray a = values.get(p.name());
            if (a == null) throw new IllegalArgumentException("no value for variable " + p.name() + " " + p.dtype().label() + p.shape()
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
            if (!a.shape().equals(p.shape()) || a.dtype() != p.dtype()) {
                throw new IllegalArgumentException("variable " + p.name() + " is " + p.dtype().label() + p.shape() + ", fed "
                        + a.signature() + " (at " + CallSite.describe(CallSite.capture()) + ")");
            }
            v.put(p.name(), a);
        }
        for (String k : values.keySet()) {
            if (!s.containsKey(k)) throw new IllegalArgumentException("no variable is named " + k + "; the variables are " + s.keySet()
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        return new Params(s, v);
    }

    /**
     * Initial values for {@code specs}: each spec's {@link Init} built in one graph from
     * {@code Random.split(Random.key(seed), n)} (row {@code i} for spec {@code i}) and run on the
     * CPU executor, so the same seed gives the same values everywhere.
     */
    public static Params init(List<ParamSpec> specs, long seed) {
        Graph g = new Graph();
        Tensor keys = Random.split(Random.key(g, seed), Math.max(1, specs.size()));
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) outs.add(specs.get(i).init().build(Random.keyAt(keys, i), specs.get(i)));
        Map<String, HostArray> v = new LinkedHashMap<>();
        if (!outs.isEmpty()) {
            Plan plan = Cpu.compile(outs);
            plan.run(new Object[plan.inputs().size()]);
            for (int i = 0; i < specs.size(); i++) {
                ParamSpec p = specs.get(i);
                float[] out = plan.output(i);
                v.put(p.name(), new HostArray(p.dtype(), p.shape(), out.clone()));
            }
        }
        return of(specs, v);
    }

    /** The specs, in order. */
    public List<ParamSpec> specs() { return List.copyOf(specs.values()); }

    /** The names, in order. */
    public List<String> names() { return List.copyOf(specs.keySet()); }

    /** The value of {@code name}. */
    public HostArray get(String name) {
        checkLive();
        HostArray a = values.get(name);
        if (a == null) throw new IllegalArgumentException("no variable is named " + name + "; the variables are " + specs.keySet());
        return a;
    }

    /** The spec of {@code name}. */
    public ParamSpec spec(String name) {
        get(name);
        return specs.get(name);
    }

    /** Every value by name, in order. */
    public Map<String, HostArray> values() {
        checkLive();
        return values;
    }

    /** Marks these values as taken by a donating step. */
    void markDonated() { donated = true; }

    private void checkLive() {
        if (donated) {
            throw new IllegalStateException("these values were donated to a training step, which wrote the next state into their arrays;"
                    + " use the state the step returned (at " + CallSite.describe(CallSite.capture()) + ")");
        }
    }

    /** The trainable variables only. */
    public Params trainable() { return filter(true); }

    /** The non-trainable (state) variables only. */
    public Params state() { return filter(false); }

    private Params filter(boolean trainable) {
        Map<String, ParamSpec> s = new LinkedHashMap<>();
        Map<String, HostArray> v = new LinkedHashMap<>();
        for (var e : specs.entrySet()) {
            if (e.getValue().trainable() == trainable) {
                s.put(e.getKey(), e.getValue());
                v.put(e.getKey(), values.get(e.getKey()));
            }
        }
        return new Params(s, v);
    }

    /** These variables with some values replaced (same names, shapes and types). */
    public Params with(Map<String, HostArray> replaced) {
        Map<String, HostArray> v = new LinkedHashMap<>(values);
        v.putAll(replaced);
        return of(specs(), v);
    }

    /** Number of elements over every variable. */
    public long count() {
        long n = 0;
        for (ParamSpec p : specs.values()) n += p.shape().size();
        return n;
    }

    /** Number of elements over the trainable variables. */
    public long trainableCount() {
        long n = 0;
        for (ParamSpec p : specs.values()) if (p.trainable()) n += p.shape().size();
        return n;
    }

    /** A deep copy. */
    public Params copy() {
        Map<String, HostArray> v = new LinkedHashMap<>();
        for (var e : values.entrySet()) v.put(e.getKey(), e.getValue().copy());
        return new Params(new LinkedHashMap<>(specs), v);
    }

    /** One line per variable: name, type and shape, and whether it is trained. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        for (ParamSpec p : specs.values()) {
            sb.append(p.name()).append(' ').append(p.dtype().label()).append(p.shape()).append(p.trainable() ? "" : " (state)").append('\n');
        }
        return sb.toString();
    }
}
