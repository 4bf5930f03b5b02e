package dev.adjoint.graph.io;

import dev.adjoint.graph.Node;
import dev.adjoint.graph.op.Constant;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Symbolic sizes in graph files (format version 3): a graph traced at several values of one size
 * (the batch) becomes one graph plus patches that make each differing slot (a shape dimension or
 * an integer attribute) affine in the size.
 *
 * <p>The traces must be structurally identical: the same nodes in the same order with the same
 * ops, operands, strings and constant values; only slots may differ. Each slot is fitted as
 * {@code a*size + c} from the first two traces and checked exactly against the others, so a
 * dimension such as {@code size*size} or {@code min(size, 8)} is refused rather than silently
 * extrapolated. The probe sizes avoid 1, where builders may legitimately elide ops (a sum over an
 * axis of one element) and the structure would differ.
 */
final class Symbolic {
    private Symbolic() {}

    /** The sizes the trace is built at: fitted at the first two, checked at the others; stored at the first. */
    static final int[] PROBES = {2, 3, 5, 16};

    /** A named size and the value the stored graph has it at. */
    record Symbol(String name, int stored) {}

    /**
     * Slot {@code slot} of node {@code node} is {@code constant + sum(coefficients[i] * symbol i)}.
     * The coefficient array is indexed like the file's symbol table.
     */
    record Patch(int node, int slot, long constant, long[] coefficients) {
        String describe(Symbol[] symbols) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < symbols.length; j++) {
                long a = coefficients[j];
                if (a == 0) continue;
                if (sb.length() > 0) sb.append(a < 0 ? " - " : " + ");
                else if (a < 0) sb.append('-');
                if (Math.abs(a) != 1) sb.append(Math.abs(a)).append('*');
                sb.append(symbols[j].name());
            }
            if (sb.length() == 0) return Long.toString(constant);
            if (constant != 0) sb.append(constant < 0 ? " - " : " + ").append(Math.abs(constant));
            return sb.toString();
        }

        @Override public boolean equals(Object o) {
            return o instanceof Patch p && p.node == node && p.slot == slot && p.constant == constant && Arrays.equals(p.coefficients, coefficients);
        }

        @Override public int hashCode() { return 31 * (31 * node + slot) + Long.hashCode(constant); }
    }

    /** The payload of {@code trace} saved with {@code symbol} free (see the class comment). */
    static byte[] payload(String symbol, IntFunction<SavedGraph> trace) throws IOException {
        if (symbol == null || symbol.isEmpty()) throw new IllegalArgumentException("the symbolic size needs a name");
        int n = PROBES.length;
        GraphFile.Encoder[] e = new GraphFile.Encoder[n];
        byte[][] body = new byte[n][];
        for (int i = 0; i < n; i++) {
            SavedGraph g = trace.apply(PROBES[i]);
            e[i] = new GraphFile.Encoder().body(g.graph(), g.outputs());
            body[i] = e[i].bodyArray();
        }
        for (int i = 1; i < n; i++) sameStructure(symbol, e[0], body[0], e[i], body[i], i);
        List<Patch> patches = new ArrayList<>();
        for (int k = 0; k < e[0].records.size(); k++) {
            GraphFile.Encoder.NodeRecord r0 = e[0].records.get(k);
            for (int j = 0; j < r0.slotValue().length; j++) {
                long v0 = r0.slotValue()[j], v1 = e[1].records.get(k).slotValue()[j];
                long a = (v1 - v0) / (PROBES[1] - PROBES[0]);
                long c = v0 - a * PROBES[0];
                boolean affine = a * (PROBES[1] - PROBES[0]) == v1 - v0;
                for (int i = 2; i < n && affine; i++) affine = e[i].records.get(k).slotValue()[j] == c + a * PROBES[i];
                if (!affine) {
                    StringBuilder values = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        values.append(i == 0 ? "" : ", ").append(e[i].records.get(k).slotValue()[j]).append(" at ")
                                .append(symbol).append(" = ").append(PROBES[i]);
                    }
                    Node node = e[0].graph.node(k);
                    throw new IllegalArgumentException("cannot save the graph with a free " + symbol + ": node %" + k + " ("
                            + node.op().name() + ", built at " + node.where() + "): " + r0.slotName()[j] + " is " + values
                            + ", not of the form a*" + symbol + " + c");
                }
                if (a != 0) patches.add(new Patch(k, j, c, new long[] {a}));
            }
        }
        return e[0].payload(List.of(new Symbol(symbol, PROBES[0])), patches);
    }

    /** Everything but the slots must match: node count, each node's bytes outside its slots, the strings, the outputs. */
    private static void sameStructure(String symbol, GraphFile.Encoder e0, byte[] b0, GraphFile.Encoder ei, byte[] bi, int i) {
        String at0 = symbol + " = " + PROBES[0], ati = symbol + " = " + PROBES[i];
        int n0 = e0.records.size(), ni = ei.records.size();
        for (int k = 0; k < Math.min(n0, ni); k++) {
            GraphFile.Encoder.NodeRecord r0 = e0.records.get(k), ri = ei.records.get(k);
            if (!sameOutsideSlots(b0, r0, bi, ri)) {
                Node m0 = e0.graph.node(k), mi = ei.graph.node(k);
                boolean constant = m0.op() instanceof Constant && mi.op() instanceof Constant;
                throw new IllegalArgumentException("cannot save the graph with a free " + symbol + ": node %" + k + " (" + m0.op().name()
                        + ", built at " + m0.where() + ") differs between " + at0 + " and " + ati + " beyond its sizes"
                        + (constant ? " (a constant whose values or size depend on " + symbol + ")" : "")
                        + ":\n  at " + at0 + ": " + m0 + "\n  at " + ati + ": " + mi);
            }
        }
        if (n0 != ni) {
            throw new IllegalArgumentException("cannot save the graph with a free " + symbol + ": it has " + n0 + " nodes at " + at0
                    + " but " + ni + " at " + ati + " (its structure depends on " + symbol + ")");
        }
        // Equal bytes mean equal string refs; equal tables then mean equal strings (labels, enum names).
        List<String> s0 = List.copyOf(e0.strings.keySet()), si = List.copyOf(ei.strings.keySet());
        if (!s0.equals(si)) {
            int j = 0;
            while (j < Math.min(s0.size(), si.size()) && s0.get(j).equals(si.get(j))) j++;
            throw new IllegalArgumentException("cannot save the graph with a free " + symbol + ": its strings differ between " + at0 + " and "
                    + ati + ": \"" + (j < s0.size() ? s0.get(j) : "") + "\" vs \"" + (j < si.size() ? si.get(j) : "") + "\"");
        }
        if (!e0.outputs.keySet().equals(ei.outputs.keySet())) {
            throw new IllegalArgumentException("cannot save the graph with a free " + symbol + ": its outputs are " + e0.outputs.keySet()
                    + " at " + at0 + " but " + ei.outputs.keySet() + " at " + ati);
        }
        for (Map.Entry<String, dev.adjoint.graph.Tensor> o : e0.outputs.entrySet()) {
            if (o.getValue().id() != ei.outputs.get(o.getKey()).id()) {
                throw new IllegalArgumentException("cannot save the graph with a free " + symbol + ": output \"" + o.getKey() + "\" is node %"
                        + o.getValue().id() + " at " + at0 + " but %" + ei.outputs.get(o.getKey()).id() + " at " + ati);
            }
        }
    }

    private static boolean sameOutsideSlots(byte[] b0, GraphFile.Encoder.NodeRecord r0, byte[] bi, GraphFile.Encoder.NodeRecord ri) {
        if (r0.site() - r0.start() != ri.site() - ri.start() || r0.slotAt().length != ri.slotAt().length) return false;
        int s = 0;
        for (int p = 0; p < r0.site() - r0.start(); p++) {
            if (s < r0.slotAt().length && r0.start() + p == r0.slotAt()[s]) {
                if (ri.start() + p != ri.slotAt()[s]) return false;
                p += 3;
                s++;
                continue;
            }
            if (b0[r0.start() + p] != bi[ri.start() + p]) return false;
        }
        return true;
    }

}
