package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared skeleton of the rebuilding passes: copy the nodes the outputs need into a new graph
 * in topological order, letting an {@link Emitter} replace each one. Dead code never reaches the
 * new graph; {@link #clean} drops what a rewrite left unread.
 */
final class Rebuild {
    private Rebuild() {}

    /** Builds the counterpart of {@code src} in {@code dst} from its rewritten operands. */
    interface Emitter {
        Tensor emit(Graph dst, Node src, Tensor[] in);
    }

    /** Plain copy. */
    static final Emitter COPY = (dst, src, in) -> dst.add(src.op(), in);

    /** Common-subexpression elimination by value of (op, operand ids); inputs are never merged. */
    static final class Cse {
        private record Key(Op op, Ints inputs) {}
        private final Map<Key, Tensor> seen = new HashMap<>();

        Tensor unique(Graph g, Op op, Tensor[] in) {
            if (op instanceof Input) return g.add(op, in);
            int[] ids = new int[in.length];
            for (int i = 0; i < in.length; i++) ids[i] = in[i].id();
            return seen.computeIfAbsent(new Key(op, Ints.of(ids)), k -> g.add(op, in));
        }
    }

    static boolean[] needed(Graph src, List<Tensor> outputs) {
        boolean[] needed = new boolean[src.size()];
        for (Tensor t : outputs) {
            if (t.graph() != src) throw new IllegalArgumentException("pass: outputs belong to different graphs");
            needed[t.id()] = true;
        }
        for (int id = src.size() - 1; id >= 0; id--) {
            if (!needed[id]) continue;
            Ints in = src.node(id).inputs();
            for (int i = 0; i < in.size(); i++) needed[in.get(i)] = true;
        }
        return needed;
    }

    static Rewritten run(List<Tensor> outputs, Emitter emitter) {
        if (outputs.isEmpty()) throw new IllegalArgumentException("pass: no outputs given");
        Graph src = outputs.get(0).graph();
        boolean[] needed = needed(src, outputs);
        Graph dst = new Graph();
        Tensor[] map = new Tensor[src.size()];
        Map<Tensor, Tensor> inputs = new LinkedHashMap<>();
        for (int id = 0; id < src.size(); id++) {
            if (!needed[id]) continue;
            Node node = src.node(id);
            Tensor[] ins = new Tensor[node.inputs().size()];
            for (int i = 0; i < ins.length; i++) ins[i] = map[node.inputs().get(i)];
            Tensor out = node.op() instanceof Input ? dst.withSite(node.site(), () -> dst.add(node.op()))
                    : dst.withSite(node.site(), () -> emitter.emit(dst, node, ins));
            if (!out.shape().equals(node.shape()) || out.dtype() != node.dtype()) {
                throw new IllegalStateException("pass: the rewrite of %" + id + " " + node + " has type " + out.dtype().label()
                        + out.shape() + " (built at " + node.where() + ")");
            }
            map[id] = out;
            if (node.op() instanceof Input) inputs.put(src.tensor(id), out);
        }
        List<Tensor> outs = new ArrayList<>();
        for (Tensor t : outputs) outs.add(map[t.id()]);
        return new Rewritten(dst, List.copyOf(outs), Map.copyOf(inputs));
    }

    /** {@code r} with the nodes its outputs do not need dropped (itself if there are none). */
    static Rewritten clean(Rewritten r) {
        boolean[] needed = needed(r.graph(), r.outputs());
        boolean dead = false;
        for (int i = 0; i < needed.length; i++) {
            if (!needed[i] && !(r.graph().node(i).op() instanceof Input)) dead = true;
        }
        if (!dead) return r;
        return compose(r, run(r.outputs(), COPY));
    }

    /** {@code first} then {@code second}: the inputs map goes from the original graph to the last. */
    static Rewritten compose(Rewritten first, Rewritten second) {
        Map<Tensor, Tensor> inputs = new LinkedHashMap<>();
        first.inputs().forEach((original, mid) -> {
            Tensor end = second.inputs().get(mid);
            if (end != null) inputs.put(original, end);
        });
        return new Rewritten(second.graph(), second.outputs(), Map.copyOf(inputs));
    }
}
