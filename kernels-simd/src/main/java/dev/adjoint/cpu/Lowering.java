package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceFn;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.TakeAlongAxis;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.kernels.BinaryKernelOp;
import dev.adjoint.kernels.CompareKernelOp;
import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.FusedProgram;
import dev.adjoint.kernels.GemmWorkspace;
import dev.adjoint.kernels.ReduceKernelOp;
import dev.adjoint.kernels.UnaryKernelOp;
import it.unimi.dsi.fastutil.ints.Int2IntLinkedOpenHashMap;
import it.unimi.dsi.fastutil.ints.Int2IntOpenHashMap;
import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;

/**
 * Lowers an (optimized) graph to a plan: chooses a kernel for every node, fuses elementwise
 * chains, turns broadcasts, transposes, slices and reshapes into views, and assigns buffers by
 * liveness so that dead intermediates' memory is reused.
 *
 * <p>Buffers are planned in two steps. Lowering first gives every materialized value its own
 * logical buffer and records which logical buffers each step reads. Then a linear scan over the
 * schedule maps logical buffers to physical arrays: a step's output takes a free array (best fit)
 * and the arrays of buffers read for the last time go back to the free list after the step.
 * Steps refer to logical buffers, and the plan's buffer table maps several logical buffers to one
 * physical array, so steps need no rewriting after the scan.
 */
final class Lowering {
    enum Kind { INPUT, CONSTANT, SCRATCH, OUTPUT }

    /** The result: everything {@link Plan} needs. */
    record Result(Step[] steps, Node[] owners, int[] outputSizes, float[][] buffers, int[] inputBuffers,
                  Tensor[] inputs, int[] outputBuffers, long peakBytes) {}

    private final Graph graph;
    private final int threads;
    private final View[] views;
    private final int[] uses;
    private final int[] consumer;
    private final boolean[] inlined;
    private final boolean[] isOutput;
    private final List<Step> steps = new ArrayList<>();
    private final List<Node> owners = new ArrayList<>();
    private final List<int[]> reads = new ArrayList<>();
    private final IntArrayList sizes = new IntArrayList();
    private final List<Kind> kinds = new ArrayList<>();
    private final Int2ObjectOpenHashMap<float[]> constants = new Int2ObjectOpenHashMap<>();
    private final GemmWorkspace gemmWorkspace = new GemmWorkspace();
    private Node current;

    private Lowering(Graph graph, List<Tensor> outputs, int threads) {
        this.graph = graph;
        this.threads = threads;
        int n = graph.size();
        views = new View[n];
        uses = new int[n];
        consumer = new int[n];
        inlined = new boolean[n];
        isOutput = new boolean[n];
        for (Tensor t : outputs) isOutput[t.id()] = true;
        for (Node node : graph.nodes()) {
            for (int i = 0; i < node.inputs().size(); i++) {
                uses[node.inputs().get(i)]++;
                consumer[node.inputs().get(i)] = node.id();
            }
        }
        for (Node node : graph.nodes()) {
            int id = node.id();
            inlined[id] = isElementwise(node.op()) && uses[id] == 1 && !isOutput[id]
                    && isElementwise(graph.node(consumer[id]).op());
        }
    }

    /**
     * Lowers a graph whose every node is needed by {@code outputs} (the optimizer's output).
     *
     * @param inputs the graph's input tensors in the order the plan binds them
     */
    static Result lower(Graph graph, List<Tensor> outputs, List<Tensor> inputs, int threads) {
        Lowering l = new Lowering(graph, outputs, threads);
        int[] inputBuffers = new int[inputs.size()];
        for (Node node : graph.nodes()) {
            l.current = node;
            l.lowerNode(node);
            if (node.op() instanceof Input) inputBuffers[inputs.indexOf(graph.tensor(node.id()))] = l.views[node.id()].buffer();
        }
        int[] outputBuffers = new int[outputs.size()];
        for (int i = 0; i < outputs.size(); i++) outputBuffers[i] = l.pinOutput(outputs.get(i));
        return l.assign(inputBuffers, inputs, outputBuffers);
    }

    // ---- per-node lowering --------------------------------------------------------------------

    private void lowerNode(Node node) {
        int id = node.id();
        int[] shape = node.shape().dims();
        if (node.dtype() != DType.F32 && node.dtype() != DType.BOOL) throw unsupported(node);
        switch (node.op()) {
            case Input in -> views[id] = View.dense(newBuffer(node.shape().size(), Kind.INPUT), shape);
            case Constant c -> {
                float[] data = new float[c.shape().size()];
                for (int i = 0; i < data.length; i++) data[i] = (float) c.value(i);
                views[id] = constant(data, shape);
            }
            case Iota iota -> {
                float[] data = new float[node.shape().size()];
                int[] strides = View.denseStrides(shape);
                for (int i = 0; i < data.length; i++) data[i] = (i / strides[iota.axis()]) % shape[iota.axis()];
                views[id] = constant(data, shape);
            }
            case StopGradient s -> views[id] = operand(node, 0);
            case Unary u -> elementwise(node);
            case Binary b -> elementwise(node);
            case Compare c -> elementwise(node);
            case Select s -> elementwise(node);
            case BroadcastInDim b -> {
                View in = operand(node, 0);
                int[] strides = new int[shape.length];
                for (int i = 0; i < in.shape().length; i++) {
                    if (in.shape()[i] != 1) strides[b.dims().get(i)] = in.strides()[i];
                }
                views[id] = new View(in.buffer(), in.offset(), shape, strides);
            }
            case Reshape r -> {
                View in = dense(operand(node, 0));
                views[id] = new View(in.buffer(), in.offset(), shape, View.denseStrides(shape));
            }
            case Transpose t -> {
                View in = operand(node, 0);
                int[] strides = new int[shape.length];
                for (int i = 0; i < shape.length; i++) strides[i] = in.strides()[t.perm().get(i)];
                views[id] = new View(in.buffer(), in.offset(), shape, strides);
            }
            case Slice s -> {
                View in = operand(node, 0);
                int offset = in.offset();
                int[] strides = new int[shape.length];
                for (int a = 0; a < shape.length; a++) {
                    offset += s.start().get(a) * in.strides()[a];
                    strides[a] = in.strides()[a] * s.step().get(a);
                }
                views[id] = new View(in.buffer(), offset, shape, strides);
            }
            case ReduceSum r -> {
                View in = operand(node, 0);
                int out = output(node);
                add(new Steps.Reduction(ReduceKernelOp.SUM, in, r.axes().toArray(), out), in);
            }
            case Reduce r -> {
                if (r.fn() != ReduceFn.MAX) throw unsupported(node);
                View in = operand(node, 0);
                int out = output(node);
                add(new Steps.Reduction(ReduceKernelOp.MAX, in, r.axes().toArray(), out), in);
            }
            case Convert c -> {
                // bool masks are 0/1 floats in this executor, so bool -> f32 is the identity.
                if (graph.node(node.inputs().get(0)).dtype() != DType.BOOL || c.to() != DType.F32) throw unsupported(node);
                views[id] = operand(node, 0);
            }
            case ArgReduce a -> throw unsupported(node);
            case Cumsum c -> throw unsupported(node);
            case Gather gth -> throw unsupported(node);
            case TakeAlongAxis t -> throw unsupported(node);
            case ScatterAdd sa -> throw unsupported(node);
            case RandomBits rb -> throw unsupported(node);
            case DotGeneral d -> dotGeneral(node, d);
            case Conv c -> {
                View x = dense(operand(node, 0)), k = dense(operand(node, 1));
                int r = c.spatialRank();
                int[] xs = x.shape(), ks = k.shape();
                int[] in = java.util.Arrays.copyOfRange(xs, 1, r + 1), taps = java.util.Arrays.copyOfRange(ks, 0, r);
                ConvGeometry geometry = ConvGeometry.of(xs[0], in, xs[r + 1], taps, ks[r + 1], c.strides().toArray(),
                        c.padLo().toArray(), c.padHi().toArray(), c.lhsDilation().toArray(), c.rhsDilation().toArray(), c.groups());
                int out = output(node);
                add(new Steps.Convolution(new ConvWorkspace(geometry, threads), x, k, out), x, k);
            }
            case Pad p -> {
                View in = dense(operand(node, 0));
                int out = output(node);
                add(new Steps.Padding(in, p.lo().toArray(), p.hi().toArray(), p.interior().toArray(), out), in);
            }
            case Rev r -> {
                View in = dense(operand(node, 0));
                int out = output(node);
                add(new Steps.Reverse(in, r.axes().toArray(), out), in);
            }
            case Concatenate c -> {
                View[] in = new View[node.inputs().size()];
                int[][] shapes = new int[in.length][];
                for (int i = 0; i < in.length; i++) {
                    in[i] = dense(operand(node, i));
                    shapes[i] = in[i].shape();
                }
                int out = output(node);
                add(new Steps.Concat(c.axis(), shapes, Steps.buffers(in), Steps.offsets(in), new float[in.length][], out), in);
            }
        }
    }

    private static UnsupportedOperationException unsupported(Node node) {
        return new UnsupportedOperationException("Cpu.compile: " + node.op().name() + " on " + node.dtype().label() + node.shape()
                + " (node %" + node.id() + " built at " + node.where() + ") has no CPU kernel yet");
    }

    private static boolean isElementwise(Op op) {
        return op instanceof Unary || op instanceof Binary || op instanceof Compare || op instanceof Select;
    }

    /** An elementwise node: folded into its consumer's program, or the root of a fused program. */
    private void elementwise(Node root) {
        if (inlined[root.id()]) return;
        Int2IntLinkedOpenHashMap leaves = new Int2IntLinkedOpenHashMap();
        collectLeaves(root, leaves);
        if (leaves.isEmpty()) {
            // Only scalar constants feed this chain; load one so the program has an operand.
            leaves.put(root.inputs().get(0), 0);
        }
        FusedProgram.Builder b = FusedProgram.builder(leaves.size());
        Int2IntOpenHashMap registers = new Int2IntOpenHashMap();
        registers.defaultReturnValue(-1);
        int[] count = new int[1];
        int result = emit(root, b, leaves, registers, count);
        View[] in = new View[leaves.size()];
        int i = 0;
        for (int leaf : leaves.keySet().toIntArray()) in[i++] = views[leaf];
        int out = output(root);
        add(new Steps.Fused(b.build(result), count[0], root.shape().dims(), in, out), in);
    }

    private void collectLeaves(Node node, Int2IntLinkedOpenHashMap leaves) {
        for (int i = 0; i < node.inputs().size(); i++) {
            int in = node.inputs().get(i);
            if (inlined[in]) collectLeaves(graph.node(in), leaves);
            else if (scalarConstant(in) == null && !leaves.containsKey(in)) leaves.put(in, leaves.size());
        }
    }

    private int emit(Node node, FusedProgram.Builder b, Int2IntLinkedOpenHashMap leaves, Int2IntOpenHashMap registers, int[] count) {
        int[] r = new int[node.inputs().size()];
        for (int i = 0; i < r.length; i++) {
            int in = node.inputs().get(i);
            int known = registers.get(in);
            if (known >= 0) {
                r[i] = known;
                continue;
            }
            Float scalar = scalarConstant(in);
            if (inlined[in]) r[i] = emit(graph.node(in), b, leaves, registers, count);
            else if (leaves.containsKey(in)) r[i] = b.load(leaves.get(in));
            else r[i] = b.constant(scalar);
            registers.put(in, r[i]);
        }
        count[0]++;
        return switch (node.op()) {
            case Unary u -> b.unary(UnaryKernelOp.valueOf(u.fn().name()), r[0]);
            case Binary bin -> b.binary(BinaryKernelOp.valueOf(bin.fn().name()), r[0], r[1]);
            case Compare c -> b.compare(CompareKernelOp.valueOf(c.comparison().name()), r[0], r[1]);
            case Select s -> b.select(r[0], r[1], r[2]);
            default -> throw new IllegalStateException("not elementwise: " + node);
        };
    }

    /** The value of a node that is a one-element constant seen through a broadcast, or null. */
    private Float scalarConstant(int id) {
        View v = views[id];
        if (v == null || kinds.get(v.buffer()) != Kind.CONSTANT) return null;
        float[] data = constants.get(v.buffer());
        return data.length == 1 ? data[0] : null;
    }

    /** dot_general as a batched GEMM over [batch, M, K] x [batch, K, N] with strides. */
    private void dotGeneral(Node node, DotGeneral d) {
        View x = operand(node, 0), y = operand(node, 1);
        Ints lf = d.lhsFree(x.shape().length), rf = d.rhsFree(y.shape().length);
        long[] xb = group(x, d.lhsBatch()), xm = group(x, lf), xk = group(x, d.lhsContract());
        if (xb == null || xm == null || xk == null) {
            x = materialize(permuted(x, concat(d.lhsBatch(), lf, d.lhsContract())));
            int nb = d.lhsBatch().size(), nm = lf.size();
            xb = group(x, Ints.range(nb));
            xm = group(x, range(nb, nb + nm));
            xk = group(x, range(nb + nm, x.shape().length));
        }
        long[] yb = group(y, d.rhsBatch()), yk = group(y, d.rhsContract()), yn = group(y, rf);
        if (yb == null || yk == null || yn == null) {
            y = materialize(permuted(y, concat(d.rhsBatch(), d.rhsContract(), rf)));
            int nb = d.rhsBatch().size(), nk = d.rhsContract().size();
            yb = group(y, Ints.range(nb));
            yk = group(y, range(nb, nb + nk));
            yn = group(y, range(nb + nk, y.shape().length));
        }
        int out = output(node);
        if (node.shape().size() == 0) return;
        add(new Steps.MatMul((int) xb[0], (int) xm[0], (int) yn[0], (int) xk[0],
                x.buffer(), x.offset(), (int) xm[1], (int) xk[1], (int) xb[1],
                y.buffer(), y.offset(), (int) yk[1], (int) yn[1], (int) yb[1], gemmWorkspace, out), x, y);
    }

    /** {size, stride} of a group of axes flattened in the given order, or null if one stride cannot step through it. */
    private static long[] group(View v, Ints axes) {
        long size = 1, stride = 0;
        int prev = -1;
        for (int i = 0; i < axes.size(); i++) {
            int a = axes.get(i);
            if (v.shape()[a] == 1) continue;
            if (prev >= 0 && v.strides()[prev] != (long) v.strides()[a] * v.shape()[a]) return null;
            size *= v.shape()[a];
            stride = v.strides()[a];
            prev = a;
        }
        return new long[] {size, stride};
    }

    private static View permuted(View v, Ints order) {
        int[] shape = new int[order.size()], strides = new int[order.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = v.shape()[order.get(i)];
            strides[i] = v.strides()[order.get(i)];
        }
        return new View(v.buffer(), v.offset(), shape, strides);
    }

    private static Ints concat(Ints a, Ints b, Ints c) {
        int[] v = new int[a.size() + b.size() + c.size()];
        int j = 0;
        for (int i = 0; i < a.size(); i++) v[j++] = a.get(i);
        for (int i = 0; i < b.size(); i++) v[j++] = b.get(i);
        for (int i = 0; i < c.size(); i++) v[j++] = c.get(i);
        return Ints.of(v);
    }

    private static Ints range(int from, int to) {
        int[] v = new int[to - from];
        for (int i = 0; i < v.length; i++) v[i] = from + i;
        return Ints.of(v);
    }

    // ---- buffers ------------------------------------------------------------------------------

    private View operand(Node node, int i) { return views[node.inputs().get(i)]; }

    private int newBuffer(int size, Kind kind) {
        sizes.add(size);
        kinds.add(kind);
        return sizes.size() - 1;
    }

    private View constant(float[] data, int[] shape) {
        int b = newBuffer(data.length, Kind.CONSTANT);
        constants.put(b, data);
        return View.dense(b, shape);
    }

    /** A fresh dense buffer for the node's result, recorded as the node's view. */
    private int output(Node node) {
        int b = newBuffer(node.shape().size(), Kind.SCRATCH);
        views[node.id()] = View.dense(b, node.shape().dims());
        return b;
    }

    /** {@code v} itself if dense, else a dense copy made by a new step. */
    private View dense(View v) { return v.isDense() ? v : materialize(v); }

    private View materialize(View v) {
        int b = newBuffer(v.size(), Kind.SCRATCH);
        add(new Steps.Copy(v, b), v);
        return View.dense(b, v.shape());
    }

    private void add(Step step, View... in) {
        if (sizes.getInt(step.output()) == 0) return;  // nothing to compute for an empty result
        int[] r = new int[in.length];
        for (int i = 0; i < in.length; i++) r[i] = in[i].buffer();
        steps.add(step);
        owners.add(current);
        reads.add(r);
    }

    /** The buffer holding output {@code t}: its own buffer if it has one, else a copy into a new one. */
    private int pinOutput(Tensor t) {
        View v = views[t.id()];
        boolean own = kinds.get(v.buffer()) == Kind.SCRATCH || kinds.get(v.buffer()) == Kind.OUTPUT;
        if (own && v.isDense() && v.offset() == 0 && sizes.getInt(v.buffer()) == v.size()) {
            kinds.set(v.buffer(), Kind.OUTPUT);
            return v.buffer();
        }
        current = t.node();
        int b = newBuffer(v.size(), Kind.OUTPUT);
        add(new Steps.Copy(v, b), v);
        return b;
    }

    /** Maps logical buffers to arrays by liveness over the schedule. */
    private Result assign(int[] inputBuffers, List<Tensor> inputs, int[] outputBuffers) {
        int n = sizes.size();
        int[] lastRead = new int[n];
        java.util.Arrays.fill(lastRead, -1);
        for (int s = 0; s < reads.size(); s++) for (int b : reads.get(s)) lastRead[b] = s;
        float[][] buffers = new float[n][];
        List<float[]> free = new ArrayList<>();
        long bytes = 0;
        for (var e : constants.int2ObjectEntrySet()) {
            buffers[e.getIntKey()] = e.getValue();
            bytes += 4L * e.getValue().length;
        }
        for (int b = 0; b < n; b++) {
            // Outputs own exact-size arrays that later steps never reuse; empty results need no step.
            if (kinds.get(b) == Kind.OUTPUT || (kinds.get(b) == Kind.SCRATCH && sizes.getInt(b) == 0)) {
                buffers[b] = new float[sizes.getInt(b)];
                bytes += 4L * sizes.getInt(b);
            }
        }
        for (int s = 0; s < steps.size(); s++) {
            int out = steps.get(s).output();
            if (buffers[out] == null) {
                float[] best = null;
                for (float[] f : free) if (f.length >= sizes.getInt(out) && (best == null || f.length < best.length)) best = f;
                if (best != null) {
                    free.remove(best);
                } else {
                    best = new float[sizes.getInt(out)];
                    bytes += 4L * best.length;
                }
                buffers[out] = best;
            }
            for (int b : reads.get(s)) {
                if (lastRead[b] == s && kinds.get(b) == Kind.SCRATCH && !free.contains(buffers[b])) free.add(buffers[b]);
            }
        }
        return new Result(steps.toArray(new Step[0]), owners.toArray(new Node[0]), outputSizes(), buffers, inputBuffers,
                inputs.toArray(new Tensor[0]), outputBuffers, bytes);
    }

    private int[] outputSizes() {
        int[] s = new int[steps.size()];
        for (int i = 0; i < s.length; i++) s[i] = sizes.getInt(steps.get(i).output());
        return s;
    }
}
