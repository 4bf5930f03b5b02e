package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.op.Constant;
import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import java.util.Arrays;

/**
 * Finds which op inside a fused step made its first NaN, for {@link CompileOptions#checkNaN}. A
 * fused step computes a whole chain in one pass, so its output alone can only blame the chain's
 * root ({@code x.log().mul(2).add(3)} at x = -1 blamed the {@code add}, issue 11). On a NaN the
 * plan re-runs the chain node by node, slowly, in the reference interpreter (each f32 value
 * rounded to float as the executor rounds it) from the step's operand values, and names the
 * first node whose value has a NaN. Only runs after a NaN was seen, so it costs nothing otherwise.
 *
 * @param graph the optimized graph the plan was lowered from
 * @param chain the nodes the step computes, in graph (topological) order; the last is the root
 * @param leaves the nodes whose values the step reads, with their views
 */
record NaNBlame(Graph graph, int[] chain, int[] leaves, View[] leafViews) {

    /** The first chain node with a NaN and the element, or null if the slow path finds none. */
    Found find(Object[] buffers) {
        Int2ObjectOpenHashMap<NdArray> values = new Int2ObjectOpenHashMap<>();
        for (int i = 0; i < leaves.length; i++) values.put(leaves[i], read(graph.node(leaves[i]), leafViews[i], buffers));
        for (int id : chain) {
            Node node = graph.node(id);
            NdArray[] x = new NdArray[node.inputs().size()];
            for (int k = 0; k < x.length; k++) {
                int in = node.inputs().get(k);
                NdArray v = values.get(in);
                if (v == null) {
                    Node c = graph.node(in);
                    if (!(c.op() instanceof Constant)) return null;
                    v = Interpreter.evaluate(c.op(), c.shape(), c.dtype());
                    values.put(in, v);
                }
                x[k] = v;
            }
            NdArray y = Interpreter.evaluate(node.op(), node.shape(), node.dtype(), x);
            double[] d = y.data();
            if (node.dtype() == DType.F32) {
                d = d.clone();
                for (int i = 0; i < d.length; i++) d[i] = (float) d[i];
                y = NdArray.of(node.dtype(), node.shape(), d);
            }
            for (int i = 0; i < d.length; i++) if (Double.isNaN(d[i])) return new Found(node, i);
            values.put(id, y);
        }
        return null;
    }

    record Found(Node node, int element) {}

    private static NdArray read(Node node, View v, Object[] buffers) {
        Object a = buffers[v.buffer()];
        int n = v.size(), r = v.shape().length;
        double[] d = new double[n];
        int[] idx = new int[r];
        for (int i = 0; i < n; i++) {
            int off = v.offset();
            for (int k = 0; k < r; k++) off += idx[k] * v.strides()[k];
            d[i] = Storage.get(a, off);
            for (int k = r - 1; k >= 0; k--) {
                if (++idx[k] < v.shape()[k]) break;
                idx[k] = 0;
            }
        }
        return NdArray.of(node.dtype(), node.shape(), d);
    }

    @Override public String toString() { return "NaNBlame" + Arrays.toString(chain); }
}
