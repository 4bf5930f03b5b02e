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
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import dev.adjoint.kernels.ConvEpilogue;
import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvKernelLayout;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.DConv;
import dev.adjoint.kernels.DGemm;
import dev.adjoint.kernels.FusedProgram;
import dev.adjoint.kernels.GemmActivation;
import dev.adjoint.kernels.GemmBias;
import dev.adjoint.kernels.GemmEpilogue;
import dev.adjoint.kernels.GemmWorkspace;
import dev.adjoint.kernels.MaxPool;
import dev.adjoint.kernels.WindowGeometry;
import dev.adjoint.kernels.ReduceKernelOp;
import it.unimi.dsi.fastutil.ints.Int2IntLinkedOpenHashMap;
import it.unimi.dsi.fastutil.ints.Int2IntOpenHashMap;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;
/**
 * The second lowering pass: builds the plan's steps node by node, in topological order, following
 * the decisions of {@link FusionRegions}. Each materialized value gets a logical buffer in a
 * {@link LogicalBuffers} table and each node a {@link View} on one; views cost no step until a
 * kernel needs its operand dense. Every step records the logical buffers it reads, so that
 * {@link BufferPlanner} can map buffers to arrays by liveness afterwards.
 */
final class NodeLowering {
    private final Graph graph;
    private final FusionRegions regions;
    private final int threads;
    private final View[] views;
    private final List<Step> steps = new ArrayList<>();
    private final List<Node> owners = new ArrayList<>();
    private final List<int[]> reads = new ArrayList<>();
    /** Per step, how to find the op inside a fused chain that made a NaN (null for other steps). */
    private final List<NaNBlame> blames = new ArrayList<>();
    /** The blame of the step the next {@link #add} appends. */
    private NaNBlame blame;
    private final LogicalBuffers table = new LogicalBuffers();
    private final List<IndexSteps.ScatterAdd> scatters = new ArrayList<>();
    private final GemmWorkspace gemmWorkspace = new GemmWorkspace();
    /** Buffers of a plan lowered from the same graph whose constants this one shares (see {@link Plan#copy}); or null. */
    private final Object[] shared;
    private Node current;

    NodeLowering(Graph graph, FusionRegions regions, int threads, Object[] shared) {
        this.graph = graph;
        this.regions = regions;
        this.threads = threads;
        this.shared = shared;
        this.views = new View[graph.size()];
    }

    /** The steps in run order. */
    List<Step> steps() { return steps; }

    /** Per step, the node it computes (for errors and plan descriptions). */
    List<Node> owners() { return owners; }

    /** Per step, the logical buffers it reads. */
    List<int[]> reads() { return reads; }

    /** Per step, its NaN blame (null but for fused chains). */
    List<NaNBlame> blames() { return blames; }

    /** The logical buffers made so far. */
    LogicalBuffers table() { return table; }

    /** The scatter-add steps (whose sparse reset depends on whether their output is a plan output). */
    List<IndexSteps.ScatterAdd> scatters() { return scatters; }

    /** Where node {@code id}'s value lives (after it is lowered). */
    View view(int id) { return views[id]; }

    /** Per step, the element count of the buffer it writes. */
    int[] outputSizes() {
        int[] s = new int[steps.size()];
        for (int i = 0; i < s.length; i++) s[i] = table.size(steps.get(i).output());
        return s;
    }

    // ---- per-node lowering --------------------------------------------------------------------

    /** Lowers one node; its operands must have been lowered. */
    void lowerNode(Node node) {
        current = node;
        switch (regions.role(node.id())) {
            case IN_GEMM -> { return; } // computed by the GEMM step of its epilogue's root
            case GEMM_ROOT -> {
                FusionRegions.Epilogue e = regions.epilogue(node.id());
                Node dot = graph.node(e.dot());
                dotGeneral(dot, (DotGeneral) dot.op(), node, e);
                return;
            }
            case IN_CONV -> { return; } // computed by the conv step of its fusion's root
            case CONV_ROOT -> {
                FusionRegions.ConvFusion f = regions.convFusion(node.id());
                Node conv = graph.node(f.conv());
                conv(conv, (Conv) conv.op(), node, f);
                return;
            }
            case INPUT, CONSTANT, VIEW, FUSED, CHAIN_ROOT, KERNEL -> { }
        }
        int id = node.id();
        int[] shape = node.shape().dims();
        DType type = node.dtype();
        switch (node.op()) {
            case Input in -> views[id] = View.dense(newBuffer(node.shape().size(), LogicalBuffers.Kind.INPUT, type), shape);
            case Constant c -> {
                if (sharedConstant(node)) break;
                Memory.require(constantBytes(node), "constant " + describe(node));
                double[] data = new double[c.shape().size()];
                for (int i = 0; i < data.length; i++) data[i] = c.value(i);
                views[id] = constant(Storage.of(type, data), type, shape);
            }
            case Iota iota -> {
                if (sharedConstant(node)) break;
                // A 60-byte graph file can ask for an iota of 2^31 elements: check before allocating.
                Memory.require(constantBytes(node), "iota " + describe(node));
                double[] data = new double[node.shape().size()];
                int[] strides = View.denseStrides(shape);
                for (int i = 0; i < data.length; i++) data[i] = (i / strides[iota.axis()]) % shape[iota.axis()];
                views[id] = constant(Storage.of(type, data), type, shape);
            }
            case StopGradient s -> views[id] = operand(node, 0);
            case Unary u -> elementwise(node);
            case Binary b -> elementwise(node);
            case Compare c -> elementwise(node);
            case Select s -> elementwise(node);
            case Convert c -> {
                // Same storage and the same values (bool is 0/1 floats, see Storage): a view.
                if (regions.isViewConvert(node)) views[id] = operand(node, 0);
                else elementwise(node);
            }
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
                if (type == DType.F32) add(new Steps.Reduction(ReduceKernelOp.SUM, in, r.axes().toArray(), out), in);
                else add(Steps.TypedReduction.of(TypedKernels.Fn.SUM, type, in, r.axes().toArray(), node.shape().size(), out), in);
            }
            case Reduce r -> {
                View in = operand(node, 0);
                int out = output(node);
                TypedKernels.Fn fn = switch (r.fn()) {
                    case MAX -> TypedKernels.Fn.MAX;
                    case MIN -> TypedKernels.Fn.MIN;
                    case PROD -> TypedKernels.Fn.PROD;
                };
                if (type == DType.F32 && r.fn() == ReduceFn.MAX) add(new Steps.Reduction(ReduceKernelOp.MAX, in, r.axes().toArray(), out), in);
                else add(Steps.TypedReduction.of(fn, type, in, r.axes().toArray(), node.shape().size(), out), in);
            }
            case ArgReduce a -> {
                View in = operand(node, 0);
                int out = output(node);
                boolean max = switch (a.fn()) {
                    case ARGMAX -> true;
                    case ARGMIN -> false;
                };
                add(Steps.ArgReduction.of(max, in, a.axis(), out), in);
            }
            case Cumsum c -> {
                View in = operand(node, 0);
                int out = output(node);
                add(Steps.CumulativeSum.of(c.reverse(), type == DType.I32, in, c.axis(), out), in);
            }
            case Gather gth -> gather(node, gth);
            case TakeAlongAxis t -> takeAlongAxis(node, t);
            case ScatterAdd sa -> scatterAdd(node, sa);
            case WindowMax w -> windowMax(node, MaxPool.Kind.MAX, w.window());
            case WindowMaxGather w -> windowMax(node, MaxPool.Kind.GATHER, w.window());
            case WindowMaxScatter w -> windowMax(node, MaxPool.Kind.SCATTER, w.window());
            case RandomBits rb -> {
                View key = operand(node, 0);
                int out = output(node);
                add(new Steps.RandomBitsStep(key.buffer(), key.offset(), key.offset() + key.strides()[0], node.shape().size(), out), key);
            }
            case DotGeneral d -> dotGeneral(node, d, node, null);
            case Conv c -> conv(node, c, node, null);
            case Pad p -> {
                View in = dense(operand(node, 0));
                int out = output(node);
                if (Storage.isFloatStorage(type)) {
                    add(new Steps.Padding(in, p.lo().toArray(), p.hi().toArray(), p.interior().toArray(), shape, out), in);
                } else {
                    add(typedPad(in, p, shape, out), in);
                }
            }
            case Rev r -> {
                // Read only as an f32 conv's kernel: a view with negative strides, which the conv reads in place.
                View folded = ConvLowering.foldedRev(graph, node, regions.uses(id), regions.isOutput(id), operand(node, 0), r.axes().toArray());
                if (folded != null) {
                    views[id] = folded;
                    break;
                }
                View in = dense(operand(node, 0));
                int out = output(node);
                if (Storage.isFloatStorage(type)) add(new Steps.Reverse(in, r.axes().toArray(), out), in);
                else {
                    int offset = in.offset();
                    int[] strides = in.strides().clone();
                    for (int a : r.axes().toArray()) {
                        offset += (in.shape()[a] - 1) * strides[a];
                        strides[a] = -strides[a];
                    }
                    View reversed = new View(in.buffer(), offset, in.shape(), strides);
                    add(Steps.TypedCopy.of(reversed, 0, View.denseStrides(shape), false, node.shape().size(), "rev", out), in);
                }
            }
            case Concatenate c -> {
                View[] in = new View[node.inputs().size()];
                int[][] shapes = new int[in.length][];
                for (int i = 0; i < in.length; i++) {
                    in[i] = dense(operand(node, i));
                    shapes[i] = in[i].shape();
                }
                int out = output(node);
                if (Storage.isFloatStorage(type)) {
                    add(new Steps.Concat(c.axis(), shapes, Steps.buffers(in), Steps.offsets(in), new float[in.length][], out), in);
                } else {
                    int[] dst = View.denseStrides(shape);
                    Step[] parts = new Step[in.length];
                    int at = 0;
                    for (int i = 0; i < in.length; i++) {
                        parts[i] = Steps.TypedCopy.of(in[i], at * dst[c.axis()], dst, false, node.shape().size(), "copy", out);
                        at += in[i].shape()[c.axis()];
                    }
                    add(new Steps.TypedSequence(parts, "concatenate", out), in);
                }
            }
        }
    }

    /** pad of non-float storage: zero the output, then copy the in-range box of the input into its strided window. */
    private Step typedPad(View in, Pad p, int[] outShape, int out) {
        int r = in.shape().length;
        int[] inStrides = in.strides(), outStrides = View.denseStrides(outShape);
        int[] box = new int[r], srcStrides = new int[r], dstStrides = new int[r];
        int srcOff = in.offset(), dstOff = 0;
        for (int a = 0; a < r; a++) {
            int step = p.interior().get(a) + 1, lo = p.lo().get(a);
            // input i lands at lo + i*step; keep the i with 0 <= lo + i*step < out
            int first = lo >= 0 ? 0 : (-lo + step - 1) / step;
            int last = in.shape()[a] == 0 ? -1 : Math.min(in.shape()[a] - 1, Math.floorDiv(outShape[a] - 1 - lo, step));
            box[a] = Math.max(0, last - first + 1);
            srcOff += first * inStrides[a];
            dstOff += (lo + first * step) * outStrides[a];
            srcStrides[a] = inStrides[a];
            dstStrides[a] = outStrides[a] * step;
        }
        int size = 1;
        for (int d : outShape) size *= d;
        boolean empty = false;
        for (int b : box) empty |= b == 0;
        View src = new View(in.buffer(), empty ? 0 : srcOff, empty ? new int[] {0} : box, empty ? new int[] {0} : srcStrides);
        return Steps.TypedCopy.of(src, empty ? 0 : dstOff, empty ? new int[] {0} : dstStrides, true, size, "pad", out);
    }

    private void gather(Node node, Gather gth) {
        View x = dense(operand(node, 0)), idx = dense(operand(node, 1));
        int axis = gth.axis();
        int[] xs = x.shape();
        int outer = 1, inner = 1;
        for (int a = 0; a < axis; a++) outer *= xs[a];
        for (int a = axis + 1; a < xs.length; a++) inner *= xs[a];
        int out = output(node);
        add(new IndexSteps.Gather(x.buffer(), x.offset(), idx.buffer(), idx.offset(), outer, xs[axis], inner, idx.size(), axis, out), x, idx);
    }

    private void takeAlongAxis(Node node, TakeAlongAxis t) {
        View x = operand(node, 0), idx = operand(node, 1);
        int axis = t.axis(), r = idx.shape().length, last = r - 1;
        int[] xStrides = x.strides().clone();
        int axisStride = xStrides[axis];
        xStrides[axis] = 0;
        int[] outStrides = View.denseStrides(idx.shape());
        int out = output(node);
        Lines lines = new Lines(idx.shape(), last, xStrides, idx.strides(), outStrides);
        add(new IndexSteps.TakeAlongAxis(lines, idx.shape()[last], axis, x.shape()[axis], axisStride, axis == last,
                x.buffer(), x.offset(), x.strides()[last], idx.buffer(), idx.offset(), idx.strides()[last], out), x, idx);
    }

    private void scatterAdd(Node node, ScatterAdd sa) {
        View x = operand(node, 0), idx = operand(node, 1), upd = dense(operand(node, 2));
        int axis = sa.axis(), r = upd.shape().length, last = r - 1;
        int[] outStrides = View.denseStrides(node.shape().dims());
        int axisStride = outStrides[axis];
        int[] walk = outStrides.clone();
        walk[axis] = 0;
        int out = output(node);
        boolean zeros = isZeroConstant(x);
        Step init = null;
        if (!zeros) {
            init = Storage.isFloatStorage(node.dtype()) ? new Steps.Copy(x, out)
                    : Steps.TypedCopy.of(x, 0, outStrides, false, node.shape().size(), "copy", out);
        }
        boolean rows = axis != last && idx.strides()[last] == 0;
        IndexSteps.ScatterAdd step = new IndexSteps.ScatterAdd(new Lines(upd.shape(), last, walk, idx.strides(), upd.strides()),
                upd.shape()[last], axis, node.shape().dim(axis), axisStride, axis == last, rows,
                idx.buffer(), idx.offset(), idx.strides()[last], upd.buffer(), upd.offset(), upd.strides()[last], out,
                node.shape().size(), init);
        scatters.add(step);
        if (zeros) add(step, idx, upd);
        else add(step, x, idx, upd);
    }

    /** A windowed max kernel (max pooling, its tangent gather, its gradient scatter): {@link PoolSteps}. */
    private void windowMax(Node node, MaxPool.Kind kind, Window w) {
        View x = dense(operand(node, 0));
        View t = kind == MaxPool.Kind.MAX ? null : dense(operand(node, 1));
        WindowGeometry g = PoolSteps.geometry(x.shape(), w);
        int out = output(node);
        Step step = new PoolSteps.WindowMaxStep(kind, node.dtype() == DType.F64, g, x, t, out);
        if (t == null) add(step, x);
        else add(step, x, t);
    }

    /** Whether a view shows only zeros of a constant (e.g. the broadcast zero a transposed gather scatters into). */
    private boolean isZeroConstant(View v) {
        if (table.kind(v.buffer()) != LogicalBuffers.Kind.CONSTANT) return false;
        Object data = table.constant(v.buffer());
        for (int i = 0; i < Storage.length(data); i++) if (Storage.get(data, i) != 0) return false;
        return true;
    }

    /** An elementwise node: folded into its consumer's program, or the root of a fused program. */
    private void elementwise(Node root) {
        if (regions.inlined(root.id())) return;
        if (regions.chain(root) == FusionRegions.Chain.F32) f32Chain(root);
        else typedChain(root);
    }

    private NaNBlame blameOf(Node root, Int2IntLinkedOpenHashMap leaves, View[] in) {
        int[] chain = regions.chainNodes(root).toIntArray();
        java.util.Arrays.sort(chain); // node ids are topological
        return new NaNBlame(graph, chain, leaves.keySet().toIntArray(), in);
    }

    private void f32Chain(Node root) {
        Int2IntLinkedOpenHashMap leaves = new Int2IntLinkedOpenHashMap();
        collectLeaves(root, leaves, false);
        if (leaves.isEmpty()) {
            // Only scalar constants feed this chain; load one so the program has an operand.
            leaves.put(root.inputs().get(0), 0);
        }
        FusedProgram.Builder b = FusedProgram.builder(leaves.size());
        Int2IntOpenHashMap registers = new Int2IntOpenHashMap();
        registers.defaultReturnValue(-1);
        int[] count = new int[1];
        int result = emitChain(root, registers,
                in -> leaves.containsKey(in) ? b.load(leaves.get(in)) : b.constant(scalarConstant(in)),
                (node, r) -> instruction(node, b, r, count));
        View[] in = new View[leaves.size()];
        int i = 0;
        for (int leaf : leaves.keySet().toIntArray()) in[i++] = views[leaf];
        int out = output(root);
        blame = blameOf(root, leaves, in);
        add(new Steps.Fused(b.build(result), count[0], root.shape().dims(), in, out), in);
    }

    /**
     * The chain's non-inlined operands, in first-visit order of a depth-first walk. Iterative (an
     * explicit stack of node and next operand): a chain of a million fused nodes must not use a
     * stack frame per node (issue 11).
     */
    private void collectLeaves(Node root, Int2IntLinkedOpenHashMap leaves, boolean typed) {
        IntArrayList stack = new IntArrayList(), next = new IntArrayList();
        stack.add(root.id());
        next.add(0);
        while (!stack.isEmpty()) {
            int top = stack.size() - 1;
            Node node = graph.node(stack.getInt(top));
            int i = next.getInt(top);
            if (i == node.inputs().size()) {
                stack.removeInt(top);
                next.removeInt(top);
                continue;
            }
            next.set(top, i + 1);
            int in = node.inputs().get(i);
            if (regions.inlined(in)) {
                stack.add(in);
                next.add(0);
            } else if ((typed ? typedScalar(in) == null : scalarConstant(in) == null) && !leaves.containsKey(in)) leaves.put(in, leaves.size());
        }
    }

    /**
     * Emits the chain rooted at {@code root} in post order (operands before their user) and returns
     * the root's register; iterative, like {@link #collectLeaves}.
     */
    private int emitChain(Node root, Int2IntOpenHashMap registers, java.util.function.IntUnaryOperator operand,
                          java.util.function.ToIntBiFunction<Node, int[]> instruction) {
        IntArrayList stack = new IntArrayList(), next = new IntArrayList();
        stack.add(root.id());
        next.add(0);
        int result = -1;
        while (!stack.isEmpty()) {
            int top = stack.size() - 1;
            Node node = graph.node(stack.getInt(top));
            int i = next.getInt(top);
            if (i < node.inputs().size()) {
                next.set(top, i + 1);
                int in = node.inputs().get(i);
                if (registers.get(in) >= 0) continue;
                if (regions.inlined(in)) {
                    stack.add(in);
                    next.add(0);
                } else registers.put(in, operand.applyAsInt(in));
                continue;
            }
            stack.removeInt(top);
            next.removeInt(top);
            int[] r = new int[node.inputs().size()];
            for (int k = 0; k < r.length; k++) r[k] = registers.get(node.inputs().get(k));
            result = instruction.applyAsInt(node, r);
            registers.put(node.id(), result);
        }
        return result;
    }

    private int instruction(Node node, FusedProgram.Builder b, int[] r, int[] count) {
        count[0]++;
        return switch (node.op()) {
            case Unary u -> b.unary(F32Ops.unary(u.fn()), r[0]);
            case Binary bin -> b.binary(F32Ops.binary(bin.fn()), r[0], r[1]);
            case Compare c -> b.compare(F32Ops.compare(c.comparison()), r[0], r[1]);
            case Select s -> b.select(r[0], r[1], r[2]);
            case Convert c -> throw notElementwise(node);
            case Input i -> throw notElementwise(node);
            case Constant c -> throw notElementwise(node);
            case Iota i -> throw notElementwise(node);
            case StopGradient s -> throw notElementwise(node);
            case BroadcastInDim bc -> throw notElementwise(node);
            case Reshape rs -> throw notElementwise(node);
            case Transpose t -> throw notElementwise(node);
            case Slice s -> throw notElementwise(node);
            case ReduceSum rs -> throw notElementwise(node);
            case Reduce rd -> throw notElementwise(node);
            case ArgReduce a -> throw notElementwise(node);
            case Cumsum c -> throw notElementwise(node);
            case Gather g -> throw notElementwise(node);
            case TakeAlongAxis t -> throw notElementwise(node);
            case ScatterAdd s -> throw notElementwise(node);
            case RandomBits rb -> throw notElementwise(node);
            case DotGeneral d -> throw notElementwise(node);
            case Conv c -> throw notElementwise(node);
            case WindowMax w -> throw notElementwise(node);
            case WindowMaxGather w -> throw notElementwise(node);
            case WindowMaxScatter w -> throw notElementwise(node);
            case Pad p -> throw notElementwise(node);
            case Rev rv -> throw notElementwise(node);
            case Concatenate c -> throw notElementwise(node);
        };
    }

    private static IllegalStateException notElementwise(Node node) {
        return new IllegalStateException("not an f32 elementwise op: " + node);
    }

    /** The value of a node that is a one-element float-stored constant seen through a broadcast, or null. */
    private Float scalarConstant(int id) {
        View v = views[id];
        if (v == null || table.kind(v.buffer()) != LogicalBuffers.Kind.CONSTANT) return null;
        if (!(table.constant(v.buffer()) instanceof float[] data)) return null;
        return data.length == 1 ? data[0] : null;
    }

    /** The value of a one-element constant of any type, or null. */
    private Double typedScalar(int id) {
        View v = views[id];
        if (v == null || table.kind(v.buffer()) != LogicalBuffers.Kind.CONSTANT) return null;
        Object data = table.constant(v.buffer());
        return Storage.length(data) == 1 ? Storage.get(data, 0) : null;
    }

    // ---- chains over any types ------------------------------------------------------------------

    private void typedChain(Node root) {
        Int2IntLinkedOpenHashMap leaves = new Int2IntLinkedOpenHashMap();
        collectLeaves(root, leaves, true);
        TypedProgram.Builder b = new TypedProgram.Builder();
        Int2IntOpenHashMap registers = new Int2IntOpenHashMap();
        registers.defaultReturnValue(-1);
        int result = emitChain(root, registers, in -> {
            DType t = graph.node(in).dtype();
            return leaves.containsKey(in) ? b.load(leaves.get(in), t) : b.constant(typedScalar(in), t);
        }, (node, r) -> typedInstruction(node, b, r));
        View[] in = new View[leaves.size()];
        int i = 0;
        for (int leaf : leaves.keySet().toIntArray()) in[i++] = views[leaf];
        int out = output(root);
        blame = blameOf(root, leaves, in);
        add(new Steps.TypedFused(b.build(result, root.shape().rank()), root.shape().dims(), in, out), in);
    }

    private int typedInstruction(Node node, TypedProgram.Builder b, int[] r) {
        DType t = node.dtype();
        return switch (node.op()) {
            case Unary u -> b.unary(u.fn(), r[0], t);
            case Binary bin -> b.binary(bin.fn(), r[0], r[1], t);
            case Compare c -> b.compare(c.comparison(), r[0], r[1]);
            case Select s -> b.select(r[0], r[1], r[2], t);
            case Convert c -> b.convert(r[0], c.to());
            case Input i -> throw notElementwise(node);
            case Constant c -> throw notElementwise(node);
            case Iota i -> throw notElementwise(node);
            case StopGradient s -> throw notElementwise(node);
            case BroadcastInDim bc -> throw notElementwise(node);
            case Reshape rs -> throw notElementwise(node);
            case Transpose tr -> throw notElementwise(node);
            case Slice s -> throw notElementwise(node);
            case ReduceSum rs -> throw notElementwise(node);
            case Reduce rd -> throw notElementwise(node);
            case ArgReduce a -> throw notElementwise(node);
            case Cumsum c -> throw notElementwise(node);
            case Gather g -> throw notElementwise(node);
            case TakeAlongAxis ta -> throw notElementwise(node);
            case ScatterAdd s -> throw notElementwise(node);
            case RandomBits rb -> throw notElementwise(node);
            case DotGeneral d -> throw notElementwise(node);
            case Conv c -> throw notElementwise(node);
            case WindowMax w -> throw notElementwise(node);
            case WindowMaxGather w -> throw notElementwise(node);
            case WindowMaxScatter w -> throw notElementwise(node);
            case Pad p -> throw notElementwise(node);
            case Rev rv -> throw notElementwise(node);
            case Concatenate c -> throw notElementwise(node);
        };
    }

    /**
     * A conv writing the value of {@code result}: the conv itself, or the root of its fusion
     * {@code f} (null for none), whose bias and clamp the conv applies as it finishes its outputs.
     */
    private void conv(Node node, Conv c, Node result, FusionRegions.ConvFusion f) {
        DType type = node.dtype();
        View xv = operand(node, 0), kv = operand(node, 1), x;
        // The transpose rules' kernel-gradient conv with few output channels: its own kernel, reading x and dy in place.
        ConvLowering.KernelGradientStep kg = type == DType.F32 && node.shape().size() > 0 && f == null
                ? ConvLowering.kernelGradient(c, xv, kv, node.shape().dims(), () -> output(node)) : null;
        if (kg != null) {
            add(kg, kg.x(), kg.dy());
            if (kg.tapMajor()) views[node.id()] = ConvLowering.tapMajorView(kg.output(), node.shape().dims());
            return;
        }
        // The kernel-gradient conv's x is a permutation of the forward x: the tiled transpose, not the generic strided copy.
        ConvLowering.TransposeCopy tc = type == DType.F32 && !xv.isDense()
                ? ConvLowering.transposeCopy(xv, () -> newBuffer(xv.size(), LogicalBuffers.Kind.SCRATCH, type)) : null;
        if (tc != null) {
            add(tc, xv);
            x = View.dense(tc.output(), xv.shape());
        } else x = dense(xv);
        // The f32 kernels read the kernel operand through strides (ConvKernelLayout), so the
        // transposed and reversed kernels of the gradient convs are read in place.
        ConvKernelLayout layout = type == DType.F32 ? ConvLowering.layout(c, kv) : null;
        View k = layout != null ? kv : dense(kv);
        // The bias vector: the broadcast's operand, dense, so that bias[c] is at offset + c.
        View bias = f == null || f.bias() < 0 ? null : dense(views[graph.node(f.bias()).inputs().get(0)]);
        // Output sizes from the op's own rule (Conv.infer), not re-derived here.
        int out = output(result);
        if (node.shape().size() == 0) return; // an empty batch or Cout = 0: nothing to compute
        ConvGeometry geometry = ConvGeometry.of(c, graph.node(node.inputs().get(0)).shape(), graph.node(node.inputs().get(1)).shape());
        if (type == DType.F64) {
            add(new Steps.DConvolution(new DConv(geometry), x, k, out), x, k);
            return;
        }
        ConvWorkspace ws = new ConvWorkspace(geometry, threads);
        // A model's weights (plan constants) are packed into the kernel's panels once, not per run.
        if (table.kind(k.buffer()) == LogicalBuffers.Kind.CONSTANT) ws.assumeConstantKernel();
        ConvKernelLayout l = layout != null ? layout : ws.standardLayout();
        if (f == null) {
            add(new Steps.Convolution(ws, x, k, l, out), x, k);
            return;
        }
        Steps.Convolution step = new Steps.Convolution(ws, x, k, l, bias == null ? -1 : bias.buffer(), bias == null ? 0 : bias.offset(),
                f.lo(), f.hi(), new ConvEpilogue[] {bias == null ? new ConvEpilogue(null, 0, f.lo(), f.hi()) : null}, out);
        if (bias == null) add(step, x, k);
        else add(step, x, k, bias);
    }

    /**
     * dot_general as a batched GEMM over [batch, M, K] x [batch, K, N] with strides, writing the
     * value of {@code result}: the dot itself, or the root of its epilogue {@code e} (null for none).
     */
    private void dotGeneral(Node node, DotGeneral d, Node result, FusionRegions.Epilogue e) {
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
        // The bias vector: the broadcast's operand, dense, so that bias[j] is at offset + j.
        View bias = e == null || e.bias() < 0 ? null : dense(views[graph.node(e.bias()).inputs().get(0)]);
        int out = output(result);
        if (node.shape().size() == 0) return;
        double[] dWorkspace = node.dtype() == DType.F64 ? new double[DGemm.workspaceLength((int) xk[0], (int) yn[0])] : null;
        if (e == null) {
            add(new Steps.MatMul((int) xb[0], (int) xm[0], (int) yn[0], (int) xk[0],
                    x.buffer(), x.offset(), (int) xm[1], (int) xk[1], (int) xb[1],
                    y.buffer(), y.offset(), (int) yk[1], (int) yn[1], (int) yb[1], gemmWorkspace, dWorkspace, out), x, y);
            return;
        }
        GemmBias axis = bias == null ? GemmBias.NONE : e.perRow() ? GemmBias.PER_ROW : GemmBias.PER_COLUMN;
        GemmActivation act = e.relu() ? GemmActivation.RELU : GemmActivation.NONE;
        GemmEpilogue[] epilogue = {bias == null ? GemmEpilogue.of(act) : null};
        Step step = new Steps.MatMul((int) xb[0], (int) xm[0], (int) yn[0], (int) xk[0],
                x.buffer(), x.offset(), (int) xm[1], (int) xk[1], (int) xb[1],
                y.buffer(), y.offset(), (int) yk[1], (int) yn[1], (int) yb[1], gemmWorkspace, null,
                axis, bias == null ? -1 : bias.buffer(), bias == null ? 0 : bias.offset(), act, epilogue, out);
        if (bias == null) add(step, x, y);
        else add(step, x, y, bias);
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

    private int newBuffer(int size, LogicalBuffers.Kind kind, DType type) { return table.add(size, kind, type); }

    private View constant(Object data, DType type, int[] shape) { return View.dense(table.addConstant(data, type), shape); }

    /** Takes a constant's array from the plan being copied, if there is one. */
    private boolean sharedConstant(Node node) {
        if (shared == null) return false;
        // Same graph, same lowering: the same logical buffer numbers, so the copied plan's buffer b is this one's.
        int b = table.addShared(node.shape().size(), node.dtype(), shared[table.count()]);
        views[node.id()] = View.dense(b, node.shape().dims());
        return true;
    }

    /** Bytes to build a constant: its float64 staging values and its array. */
    private static long constantBytes(Node node) {
        return (long) node.shape().size() * (8 + Storage.bytes(node.dtype()));
    }

    private static String describe(Node node) {
        return "%" + node.id() + " " + node.dtype().label() + node.shape() + " (built at " + node.where() + ")";
    }

    /** A fresh dense buffer for the node's result, recorded as the node's view. */
    private int output(Node node) {
        int b = newBuffer(node.shape().size(), LogicalBuffers.Kind.SCRATCH, node.dtype());
        views[node.id()] = View.dense(b, node.shape().dims());
        return b;
    }

    /** {@code v} itself if dense, else a dense copy made by a new step. */
    private View dense(View v) { return v.isDense() ? v : materialize(v); }

    private View materialize(View v) {
        int b = newBuffer(v.size(), LogicalBuffers.Kind.SCRATCH, table.type(v.buffer()));
        add(copy(v, b), v);
        return View.dense(b, v.shape());
    }

    private void add(Step step, View... in) {
        if (table.size(step.output()) == 0) { // nothing to compute for an empty result
            blame = null;
            return;
        }
        int[] r = new int[in.length];
        for (int i = 0; i < in.length; i++) r[i] = in[i].buffer();
        steps.add(step);
        blames.add(blame);
        blame = null;
        owners.add(current);
        reads.add(r);
    }

    /** The buffer holding output {@code t}: its own buffer if it has one, else a copy into a new one. */
    int pinOutput(Tensor t) {
        View v = views[t.id()];
        boolean own = table.kind(v.buffer()) == LogicalBuffers.Kind.SCRATCH || table.kind(v.buffer()) == LogicalBuffers.Kind.OUTPUT;
        if (own && v.isDense() && v.offset() == 0 && table.size(v.buffer()) == v.size()) {
            table.setKind(v.buffer(), LogicalBuffers.Kind.OUTPUT);
            return v.buffer();
        }
        current = t.node();
        int b = newBuffer(v.size(), LogicalBuffers.Kind.OUTPUT, table.type(v.buffer()));
        add(copy(v, b), v);
        return b;
    }

    /** A step copying a view densely into buffer {@code b}, for the view's storage. */
    private Step copy(View v, int b) {
        if (Storage.isFloatStorage(table.type(v.buffer()))) return new Steps.Copy(v, b);
        return Steps.TypedCopy.of(v, 0, View.denseStrides(v.shape()), false, v.size(), "copy", b);
    }
}
