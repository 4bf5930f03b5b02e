package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Unary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Rematerialization under a memory budget, at graph level: a value that stays alive across the
 * liveness peak only for readers after it (typically a forward activation or mask kept for the
 * backward pass) is recomputed right before those late readers instead, so it dies early. The
 * recomputed part is the value's cone down to values that are alive across the peak anyway, or
 * inputs and constants (Chen et al.'s segments between checkpoints), at most {@value #MAX_DEPTH}
 * deep. Choice by cost: every rewrite must lower the peak (or the live-bytes area), and all
 * rewrites together may add at most {@link #MAX_EXTRA_FLOPS} of the graph's FLOPs
 * ({@link Cost#flops}), so cheap elementwise values and small convolutions are recomputed first
 * and large contractions effectively never; the executor fuses recomputed elementwise nodes into
 * their reader's chain.
 *
 * <p>Greedy: while {@link Cost#peakBytes} exceeds the budget, try the candidates live across the
 * peak, largest first, and keep the first rewrite that lowers the peak, or keeps it and lowers the
 * sum of live bytes over the schedule (so that several values hanging on one checkpoint can go one
 * by one); stop when none does (with a warning if the budget is not met). Each kept rewrite lowers
 * that pair of integers, so it terminates (and at most 256 are kept).
 * Run it last: CSE would merge the copies back.
 */
public final class Rematerialization {
    private Rematerialization() {}

    /** Depth bound of a recomputed cone. */
    static final int MAX_DEPTH = 8;

    /** Recomputation may add at most this fraction of the graph's FLOPs (the step-time bound). */
    public static final double MAX_EXTRA_FLOPS = 0.2;

    /** Whether {@code op} is elementwise: always cheap to recompute (one pass over memory, fused by the executor). */
    static boolean cheap(Op op) {
        return op instanceof Unary || op instanceof Binary || op instanceof Compare || op instanceof Select || op instanceof Convert;
    }

    /** Whether {@code op} may be recomputed at all (inputs, constants and random bits are not). */
    static boolean recomputable(Op op) {
        return !(op instanceof Input || op instanceof Constant || op instanceof dev.adjoint.graph.op.RandomBits);
    }

    static Rewritten apply(List<Tensor> outputs, long budget, Consumer<String> warnings) {
        Rewritten current = Rebuild.run(outputs, Rebuild.COPY);
        long flopBudget = (long) (MAX_EXTRA_FLOPS * Cost.flops(current.outputs())), base = Cost.flops(current.outputs());
        int kept = 0;
        for (int iteration = 0; iteration < 256; iteration++) {
            long[] cost = Cost.sweep(current.outputs());
            long peak = cost[0];
            if (peak <= budget) return current;
            Rewritten better = step(current, cost, base + flopBudget);
            if (better == null) {
                warnings.accept("remat: budget " + budget + " B not reached; liveness peak " + peak + " B after " + kept
                        + " recomputed values (no further cheap value lowers it)");
                return current;
            }
            current = better;
            kept++;
        }
        return current;
    }

    /** One greedy step: a rewrite of {@code r} with a lower (peak, live-bytes area), or null. */
    private static Rewritten step(Rewritten r, long[] cost, long maxFlops) {
        Graph g = r.graph();
        int n = g.size();
        int[] root = new int[n], last = new int[n];
        for (int i = 0; i < n; i++) {
            root[i] = i;
            last[i] = -1;
        }
        for (Node node : g.nodes()) {
            if (Cost.isView(node.op())) root[node.id()] = root[node.inputs().get(0)];
            for (int k = 0; k < node.inputs().size(); k++) {
                int u = root[node.inputs().get(k)];
                last[u] = Math.max(last[u], node.id());
            }
        }
        for (Tensor t : r.outputs()) last[root[t.id()]] = n;
        int at = peakPosition(g, root, last);
        List<Integer> candidates = new ArrayList<>();
        for (Node node : g.nodes()) {
            int v = node.id();
            if (root[v] == v && v < at && last[v] > at && last[v] < n && recomputable(node.op())) candidates.add(v);
        }
        candidates.sort((a, b) -> Long.compare(bytes(g.node(b)), bytes(g.node(a))));
        for (int tries = 0; tries < Math.min(candidates.size(), 16); tries++) {
            Rewritten next = recompute(r, candidates.get(tries), at, root, last);
            if (next == null) continue;
            long[] c = Cost.sweep(next.outputs());
            if (Cost.flops(next.outputs()) > maxFlops) continue;
            if (c[0] < cost[0] || c[0] == cost[0] && c[1] < cost[1]) return next;
        }
        return null;
    }

    private static long bytes(Node n) { return (long) n.shape().size() * n.dtype().bytes(); }

    /** The node index at which the liveness sweep of {@link Cost#peakBytes} peaks. */
    private static int peakPosition(Graph g, int[] root, int[] last) {
        int n = g.size();
        long[] freeAt = new long[n + 1];
        long live = 0, peak = -1;
        int at = 0;
        for (Node node : g.nodes()) {
            int id = node.id();
            if (root[id] == id && !(node.op() instanceof Input) && !(node.op() instanceof Constant)) {
                live += bytes(node);
                if (live > peak) {
                    peak = live;
                    at = id;
                }
                if (last[id] <= id) live -= bytes(node);
                else if (last[id] < n) freeAt[last[id]] += bytes(node);
            }
            live -= freeAt[id];
        }
        return at;
    }

    /**
     * {@code r} with the readers of {@code v} after {@code at} reading a copy of {@code v}'s
     * elementwise cone built just before the first of them; null if nothing would change.
     */
    private static Rewritten recompute(Rewritten r, int v, int at, int[] root, int[] last) {
        Graph g = r.graph();
        Set<Integer> lateReaders = new HashSet<>();
        int first = Integer.MAX_VALUE;
        for (Node node : g.nodes()) {
            if (node.id() <= at) continue;
            for (int k = 0; k < node.inputs().size(); k++) {
                if (node.inputs().get(k) == v) {
                    lateReaders.add(node.id());
                    first = Math.min(first, node.id());
                }
            }
        }
        if (lateReaders.isEmpty()) return null;
        Graph dst = new Graph();
        Tensor[] map = new Tensor[g.size()];
        Map<Tensor, Tensor> inputs = new LinkedHashMap<>();
        Tensor copy = null;
        for (Node node : g.nodes()) {
            int id = node.id();
            if (id == first) copy = dst.withSite(g.node(v).site(), () -> clone(g, v, at, root, last, map, dst, new HashMap<>(), 0));
            Tensor[] ins = new Tensor[node.inputs().size()];
            for (int k = 0; k < ins.length; k++) {
                int u = node.inputs().get(k);
                ins[k] = u == v && lateReaders.contains(id) ? copy : map[u];
            }
            map[id] = dst.withSite(node.site(), () -> dst.add(node.op(), ins));
            if (node.op() instanceof Input) inputs.put(g.tensor(id), map[id]);
        }
        List<Tensor> outs = new ArrayList<>();
        for (Tensor t : r.outputs()) outs.add(map[t.id()]);
        return Rebuild.compose(r, new Rewritten(dst, List.copyOf(outs), Map.copyOf(inputs)));
    }

    /** A copy of {@code u}'s cheap cone; operands alive across {@code at} (or inputs, constants, deep ones) are reused. */
    private static Tensor clone(Graph g, int u, int at, int[] root, int[] last, Tensor[] map, Graph dst, Map<Integer, Tensor> done, int depth) {
        Tensor d = done.get(u);
        if (d != null) return d;
        Node node = g.node(u);
        Tensor[] ins = new Tensor[node.inputs().size()];
        for (int k = 0; k < ins.length; k++) {
            int w = node.inputs().get(k);
            Node wn = g.node(w);
            boolean alive = last[root[w]] > at || wn.op() instanceof Input || wn.op() instanceof Constant;
            ins[k] = alive || depth + 1 >= MAX_DEPTH || !recomputable(wn.op()) ? map[w] : clone(g, w, at, root, last, map, dst, done, depth + 1);
        }
        Tensor t = dst.add(node.op(), ins);
        done.put(u, t);
        return t;
    }
}
