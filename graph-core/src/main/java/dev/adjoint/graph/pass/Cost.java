package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.*;
import java.util.List;

/**
 * Graph-level cost estimates for reports: FLOPs per op and a liveness estimate of peak memory.
 * They are estimates of the graph, not of a plan: the executor fuses elementwise chains (their
 * intermediates never get a buffer) and reuses buffers, so {@code Plan.plannedPeakBytes()} is the
 * figure that counts when a plan is compiled (the command line reports that one).
 */
public final class Cost {
    private Cost() {}

    /** Estimated floating-point (or integer) operations of the graph {@code outputs} need. */
    public static long flops(List<Tensor> outputs) {
        Graph g = outputs.get(0).graph();
        boolean[] needed = Rebuild.needed(g, outputs);
        long total = 0;
        for (Node n : g.nodes()) if (needed[n.id()]) total += flops(g, n);
        return total;
    }

    /** Estimated operations of one node: a multiply-add counts 2; movement counts 0. */
    public static long flops(Graph g, Node n) {
        long out = n.shape().size();
        long in0 = n.inputs().size() > 0 ? g.node(n.inputs().get(0)).shape().size() : 0;
        return switch (n.op()) {
            case Unary u -> out;
            case Binary b -> out;
            case Compare c -> out;
            case Select s -> out;
            case Convert c -> out;
            case Reduce r -> in0;
            case ReduceSum r -> in0;
            case ArgReduce a -> in0;
            case Cumsum c -> in0;
            case DotGeneral d -> {
                Node x = g.node(n.inputs().get(0));
                long contracted = 1;
                for (int i = 0; i < d.lhsContract().size(); i++) contracted *= x.shape().dim(d.lhsContract().get(i));
                yield 2 * out * contracted;
            }
            case Conv c -> {
                Node k = g.node(n.inputs().get(1));
                int cout = k.shape().dim(k.shape().rank() - 1);
                yield cout == 0 ? 0 : 2 * out * (k.shape().size() / cout);
            }
            case ScatterAdd s -> g.node(n.inputs().get(2)).shape().size();
            case RandomBits r -> 20 * out; // about 20 integer operations per Threefry word
            // One compare per tap of every window (the scatter's adds are one per window on top).
            case dev.adjoint.graph.op.WindowMax w -> out * w.window().taps();
            case dev.adjoint.graph.op.WindowMaxGather w -> out * w.window().taps();
            case dev.adjoint.graph.op.WindowMaxScatter w -> g.node(n.inputs().get(1)).shape().size() * (w.window().taps() + 1);
            case Gather x -> 0;
            case TakeAlongAxis t -> 0;
            case BroadcastInDim b -> 0;
            case Transpose t -> 0;
            case Reshape r -> 0;
            case Pad p -> 0;
            case Slice s -> 0;
            case Rev r -> 0;
            case Concatenate c -> 0;
            case Input i -> 0;
            case Constant c -> 0;
            case Iota i -> 0;
            case StopGradient s -> 0;
        };
    }

    /** Whether the executor makes {@code op} a view of its operand (no buffer of its own). */
    static boolean isView(Op op) {
        return op instanceof Reshape || op instanceof BroadcastInDim || op instanceof Transpose || op instanceof Slice
                || op instanceof StopGradient;
    }

    /**
     * Peak bytes of a liveness sweep in node order: inputs and constants are resident throughout;
     * each other node holds {@code size * dtype bytes} from where it is computed to its last
     * reader (outputs to the end); views (reshape, broadcast, transpose, slice) own no bytes but
     * keep their source alive as long as they are read.
     */
    public static long peakBytes(List<Tensor> outputs) { return sweep(outputs)[0]; }

    /** {peak bytes, sum over node positions of the live bytes}: the second breaks ties in rematerialization. */
    static long[] sweep(List<Tensor> outputs) {
        Graph g = outputs.get(0).graph();
        boolean[] needed = Rebuild.needed(g, outputs);
        int n = g.size();
        int[] root = new int[n];
        int[] last = new int[n];
        for (int i = 0; i < n; i++) {
            root[i] = i;
            last[i] = -1;
        }
        for (Node node : g.nodes()) {
            if (!needed[node.id()]) continue;
            if (isView(node.op())) root[node.id()] = root[node.inputs().get(0)];
            for (int k = 0; k < node.inputs().size(); k++) {
                int r = root[node.inputs().get(k)];
                last[r] = Math.max(last[r], node.id());
            }
        }
        for (Tensor t : outputs) last[root[t.id()]] = n;
        long resident = 0, live = 0, peak = 0, area = 0;
        long[] freeAt = new long[n + 1];
        for (Node node : g.nodes()) {
            int id = node.id();
            if (needed[id] && root[id] == id) {
                long bytes = (long) node.shape().size() * node.dtype().bytes();
                if (node.op() instanceof Input || node.op() instanceof Constant) {
                    resident += bytes;
                } else {
                    live += bytes;
                    peak = Math.max(peak, live);
                    if (last[id] <= id) live -= bytes;        // read by nobody after it
                    else if (last[id] < n) freeAt[last[id]] += bytes;
                }
            }
            live -= freeAt[id];                               // values whose last reader is this node
            area += live;
        }
        return new long[] {resident + peak, area};
    }
}
