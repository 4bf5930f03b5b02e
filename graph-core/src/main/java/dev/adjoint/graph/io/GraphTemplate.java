package dev.adjoint.graph.io;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A saved graph whose sizes may be symbolic (format version 3, written by
 * {@link GraphFile#writeSymbolic}): dimensions and integer attributes affine in named sizes such
 * as {@code batch}. {@link #at} instantiates it as a concrete graph; {@link #inline} builds it into
 * a caller's graph with its inputs bound to the caller's tensors (the sizes solved from their
 * shapes), so a loaded model can be composed with a loss and differentiated. Every
 * instantiation re-adds every node through {@code Graph.add}, so every shape rule is checked
 * again at the requested sizes. A graph without symbols is a template with no sizes.
 */
public final class GraphTemplate {
    /**
     * A dimension or attribute: {@code constant + sum(coefficient * size)}.
     *
     * @param constant the constant term
     * @param coefficients non-zero coefficients by symbol name; empty for a fixed value
     */
    public record Dim(long constant, Map<String, Long> coefficients) {
        /** Copies the map. */
        public Dim { coefficients = Collections.unmodifiableMap(new LinkedHashMap<>(coefficients)); }

        /** Whether it depends on no size. */
        public boolean fixed() { return coefficients.isEmpty(); }

        /** Its value at {@code sizes}. */
        public long at(Map<String, Integer> sizes) {
            long v = constant;
            for (var e : coefficients.entrySet()) {
                Integer s = sizes.get(e.getKey());
                if (s == null) throw new IllegalArgumentException("no size given for " + e.getKey());
                v += e.getValue() * s;
            }
            return v;
        }

        /** {@code 784}, {@code batch}, {@code 4*batch + 1}. */
        @Override public String toString() {
            StringBuilder sb = new StringBuilder();
            for (var e : coefficients.entrySet()) {
                long a = e.getValue();
                if (sb.length() > 0) sb.append(a < 0 ? " - " : " + ");
                else if (a < 0) sb.append('-');
                if (Math.abs(a) != 1) sb.append(Math.abs(a)).append('*');
                sb.append(e.getKey());
            }
            if (sb.length() == 0) return Long.toString(constant);
            if (constant != 0) sb.append(constant < 0 ? " - " : " + ").append(Math.abs(constant));
            return sb.toString();
        }
    }

    /**
     * An input of the graph.
     *
     * @param label the input's label
     * @param dtype its element type
     * @param dims its dimensions, possibly symbolic
     */
    public record InputSpec(String label, DType dtype, List<Dim> dims) {
        /** Copies the list. */
        public InputSpec { dims = List.copyOf(dims); }

        /** Whether a dimension depends on a size. */
        public boolean symbolic() { return dims.stream().anyMatch(d -> !d.fixed()); }

        /** Its shape at {@code sizes}. */
        public Shape shape(Map<String, Integer> sizes) {
            int[] d = new int[dims.size()];
            for (int i = 0; i < d.length; i++) d[i] = Math.toIntExact(dims.get(i).at(sizes));
            return Shape.of(d);
        }

        /** {@code x: f32[batch, 1, 28, 28]}. */
        @Override public String toString() {
            StringBuilder sb = new StringBuilder(label).append(": ").append(dtype.label()).append('[');
            for (int i = 0; i < dims.size(); i++) sb.append(i == 0 ? "" : ", ").append(dims.get(i));
            return sb.append(']').toString();
        }
    }

    private final String source;
    private final int version;
    private final byte[] payload;
    private final Map<String, Integer> symbols;
    private final List<InputSpec> inputs;
    private final SavedGraph stored;

    private GraphTemplate(String source, int version, byte[] payload) throws GraphFormatException {
        this.source = source;
        this.version = version;
        this.payload = payload;
        // Decoding once at the stored sizes validates the whole file before anything is returned.
        GraphFile.Decoder d = new GraphFile.Decoder(payload, version, null, null, null);
        this.stored = d.decode();
        Map<String, Integer> s = new LinkedHashMap<>();
        for (Symbolic.Symbol sym : d.symbols()) s.put(sym.name(), sym.stored());
        this.symbols = Collections.unmodifiableMap(s);
        this.inputs = List.copyOf(d.inputs);
    }

    static GraphTemplate of(String source, GraphFile.Checked c) throws GraphFormatException {
        return new GraphTemplate(source, c.version(), c.payload());
    }

    /** Where it was read from (a file name, or {@code "a stream"}), for messages. */
    public String source() { return source; }

    /** The symbolic sizes by name, each with the value the stored graph has it at; empty for a concrete graph. */
    public Map<String, Integer> symbols() { return symbols; }

    /** The inputs, in node order, with their symbolic dimensions. */
    public List<InputSpec> inputs() { return inputs; }

    /** The input labelled {@code label}. */
    public InputSpec input(String label) {
        for (InputSpec s : inputs) if (s.label().equals(label)) return s;
        throw new IllegalArgumentException(source + " has no input \"" + label + "\"; its inputs are " + inputs);
    }

    /** The names of the outputs, in order. */
    public List<String> outputs() { return List.copyOf(stored.outputs().keySet()); }

    /** The graph at the stored sizes, as written. */
    public SavedGraph stored() { return stored; }

    /**
     * The graph at {@code sizes} (one value for every symbol), every node re-added and checked.
     *
     * @throws IllegalArgumentException naming the source, the node and the rule if the graph is not valid at these sizes
     */
    public SavedGraph at(Map<String, Integer> sizes) {
        try {
            return new GraphFile.Decoder(payload, version, Map.copyOf(sizes), null, null).decode();
        } catch (GraphFormatException e) {
            throw new IllegalArgumentException(source + " at " + sizes + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The graph at {@code symbol = size}; see {@link #at(Map)}. */
    public SavedGraph at(String symbol, int size) { return at(Map.of(symbol, size)); }

    /**
     * Builds the graph into {@code graph} with every input bound (by label) to a tensor of it; the
     * sizes are solved from the bound tensors' shapes. Returns the outputs by name, tensors of {@code graph}.
     *
     * @throws IllegalArgumentException naming the input if one is missing, extra, or of a shape no size gives
     */
    public Map<String, Tensor> inline(Graph graph, Map<String, Tensor> bound) {
        Objects.requireNonNull(graph, "graph");
        for (var e : bound.entrySet()) {
            if (e.getValue().graph() != graph) throw new IllegalArgumentException("input \"" + e.getKey() + "\" is bound to a tensor of another graph");
        }
        Map<String, Integer> sizes = solve(bound);
        try {
            return new GraphFile.Decoder(payload, version, sizes, graph, Map.copyOf(bound)).decode().outputs();
        } catch (GraphFormatException e) {
            throw new IllegalArgumentException(source + " at " + sizes + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The sizes that give the bound tensors' shapes, from each dimension that is {@code a*size + c} in one size. */
    private Map<String, Integer> solve(Map<String, Tensor> bound) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        List<String> why = new ArrayList<>();
        for (InputSpec s : inputs) {
            Tensor t = bound.get(s.label());
            if (t == null || t.rank() != s.dims().size()) continue;  // reported when the input is bound
            for (int i = 0; i < s.dims().size(); i++) {
                Dim d = s.dims().get(i);
                if (d.coefficients().size() != 1) continue;
                var e = d.coefficients().entrySet().iterator().next();
                long num = t.shape().dim(i) - d.constant();
                if (num % e.getValue() != 0 || num / e.getValue() < 1) {
                    throw new IllegalArgumentException(source + ": input " + s + " cannot be bound to " + t.dtype().label() + t.shape()
                            + ": dimension " + i + " = " + t.shape().dim(i) + " is " + d + " for no " + e.getKey() + " >= 1");
                }
                int v = Math.toIntExact(num / e.getValue());
                Integer prev = sizes.putIfAbsent(e.getKey(), v);
                if (prev != null && prev != v) {
                    throw new IllegalArgumentException(source + ": the bound inputs disagree on " + e.getKey() + ": " + prev + " and " + v
                            + " (input " + s + " bound to " + t.dtype().label() + t.shape() + ")");
                }
            }
        }
        for (String sym : symbols.keySet()) if (!sizes.containsKey(sym)) why.add(sym);
        if (!why.isEmpty()) throw new IllegalArgumentException(source + ": no bound input determines " + why);
        return sizes;
    }

    @Override public String toString() {
        return source + ": " + stored.graph().size() + " nodes, inputs " + inputs + ", outputs " + outputs()
                + (symbols.isEmpty() ? "" : ", symbolic sizes " + symbols.keySet());
    }
}
