package dev.adjoint.train;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A function of tensors compiled like {@code jax.jit}: the Java lambda is traced into a graph once
 * per distinct signature (the element types and shapes of the arguments), the graph compiled by
 * {@link Cpu#compile}, and the plan cached. A new batch size (the last partial batch, evaluation
 * at another size) is a new signature, traced on first use. The cache keeps the most recently
 * used {@code capacity} plans and reports how many it holds ({@link #cacheSize}).
 */
public final class Jit {
    /** The function to trace: builds output nodes from argument inputs of a fresh graph. */
    @FunctionalInterface
    public interface Fn {
        /** The outputs for {@code args} (graph inputs named as {@link Jit#names}, or {@code arg0}, ...). */
        List<Tensor> apply(List<Tensor> args);
    }

    /** One traced signature: its plan and the argument inputs. */
    record Compiled(Plan plan, List<Tensor> args, List<Tensor> outputs) {}

    private final Fn fn;
    private final List<String> names;
    private final int capacity;
    private final CompileOptions options;
    private final Map<Integer, Integer> donations;
    private final LinkedHashMap<String, Compiled> cache;
    private int traces;

    private Jit(Fn fn, List<String> names, int capacity, CompileOptions options, Map<Integer, Integer> donations) {
        if (capacity < 1) throw new IllegalArgumentException("the cache capacity must be >= 1, got " + capacity);
        this.donations = Map.copyOf(donations);
        this.fn = fn;
        this.names = names;
        this.capacity = capacity;
        this.options = options;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<String, Compiled> e) { return size() > Jit.this.capacity; }
        };
    }

    /** {@code fn} with a cache of 8 signatures and the default compile options. */
    public static Jit of(Fn fn) { return new Jit(fn, null, 8, CompileOptions.defaults(), Map.of()); }

    /** The same function with argument names (used for the graph inputs, so errors name them). */
    public Jit named(List<String> argNames) { return new Jit(fn, List.copyOf(argNames), capacity, options, donations); }

    /** The same function keeping at most {@code n} plans. */
    public Jit capacity(int n) { return new Jit(fn, names, n, options, donations); }

    /** The same function compiled with {@code o}. */
    public Jit options(CompileOptions o) { return new Jit(fn, names, capacity, o, donations); }

    /**
     * The same function with buffer donation: output {@code o} is written into the array passed as
     * argument {@code d.get(o)} (see {@code Cpu.compile(outputs, options, donations)}), which then
     * holds the new value; the compile refuses if a later step would read the old one.
     */
    public Jit donating(Map<Integer, Integer> d) { return new Jit(fn, names, capacity, options, d); }

    /** Number of plans cached now. */
    public int cacheSize() { return cache.size(); }

    /** How many times the function was traced (once per signature, again if an evicted one comes back). */
    public int traceCount() { return traces; }

    /** The cache key: every argument's type and shape. */
    static String signature(List<HostArray> args) {
        StringBuilder sb = new StringBuilder();
        for (HostArray a : args) sb.append(a.signature()).append(';');
        return sb.toString();
    }

    Compiled compiled(List<HostArray> args) {
        String key = signature(args);
        Compiled c = cache.get(key);
        if (c != null) return c;
        Graph g = new Graph();
        List<Tensor> in = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String name = names != null && i < names.size() ? names.get(i) : "arg" + i;
            in.add(g.input(name, args.get(i).dtype(), args.get(i).shape()));
        }
        List<Tensor> out = List.copyOf(fn.apply(in));
        traces++;
        Map<Integer, Tensor> donate = new HashMap<>();
        for (var e : donations.entrySet()) donate.put(e.getKey(), in.get(e.getValue()));
        c = new Compiled(donate.isEmpty() ? Cpu.compile(out, options) : Cpu.compile(out, options, donate), in, out);
        cache.put(key, c);
        return c;
    }

    /** Runs the plan of {@code args}' signature; its outputs stay in the plan (read with {@link #read}). */
    Plan run(List<HostArray> args, Compiled c) {
        Map<Tensor, Object> feeds = new HashMap<>();
        for (int i = 0; i < args.size(); i++) feeds.put(c.args().get(i), args.get(i).data());
        c.plan().run(feeds);
        return c.plan();
    }

    /** Output {@code i} of the last run of {@code c}, copied out of the plan. */
    static HostArray read(Compiled c, int i) {
        Tensor t = c.outputs().get(i);
        Plan p = c.plan();
        if (p.donatedInput(i) >= 0) return new HostArray(t.dtype(), t.shape(), outputArray(p, t, i));  // the caller's array, in place
        Object data = switch (t.dtype()) {
            case F32 -> p.output(i).clone();
            case F64 -> p.outputF64(i).clone();
            case I32 -> p.outputI32(i).clone();
            case I64 -> p.outputI64(i).clone();
            case BOOL -> p.outputBool(i).clone();
        };
        return new HostArray(t.dtype(), t.shape(), data);
    }

    private static Object outputArray(Plan p, Tensor t, int i) {
        return switch (t.dtype()) {
            case F32 -> p.output(i);
            case F64 -> p.outputF64(i);
            case I32 -> p.outputI32(i);
            case I64 -> p.outputI64(i);
            case BOOL -> p.outputBool(i);
        };
    }

    /** Calls the function: traces and compiles on a new signature, then runs; the outputs are copies. */
    public List<HostArray> call(List<HostArray> args) {
        Compiled c = compiled(args);
        run(args, c);
        List<HostArray> out = new ArrayList<>();
        for (int i = 0; i < c.outputs().size(); i++) out.add(read(c, i));
        return out;
    }

    /** {@link #call(List)} with varargs. */
    public List<HostArray> call(HostArray... args) { return call(List.of(args)); }
}
