package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Comparison;
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
import dev.adjoint.graph.op.UnaryFn;
import dev.adjoint.kernels.BinaryKernelOp;
import dev.adjoint.kernels.CompareKernelOp;
import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.DConv;
import dev.adjoint.kernels.DGemm;
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
    record Result(Step[] steps, Node[] owners, int[] outputSizes, Object[] buffers, int[] inputBuffers,
                  Tensor[] inputs, int[] outputBuffers, long peakBytes, boolean[] constant, NaNBlame[] blames, int[][] reads,
                  MemoryReport memory) {}

    /**
     * Checks that output {@code o} may be written into the array of input {@code i} (buffer
     * donation): same type and size, one step writes the output, no step after it reads the input,
     * and if that step reads the input itself it does so elementwise in the output's own dense
     * layout (a fused elementwise pass or a copy reads each element before it writes it).
     *
     * @return null if it may, else why not
     */
    static String donationProblem(Result r, int o, int i) {
        int ob = r.outputBuffers()[o], ib = r.inputBuffers()[i];
        Tensor t = r.inputs()[i];
        String in = "\"" + ((dev.adjoint.graph.op.Input) t.op()).label() + "\"";
        // A bool input is copied into an array of the plan's own (see Plan), so its fed array is never written.
        if (t.dtype() == DType.BOOL) return "input " + in + " is bool";
        for (int k = 0; k < r.outputBuffers().length; k++) if (k != o && r.outputBuffers()[k] == ob) return "another output shares its buffer";
        int writer = -1;
        for (int s = 0; s < r.steps().length; s++) {
            if (r.steps()[s].output() == ob) {
                if (writer >= 0) return "more than one step writes it";
                writer = s;
            }
        }
        if (writer < 0) return "no step writes it";
        for (int s = writer + 1; s < r.steps().length; s++) {
            if (contains(r.reads()[s], ib)) return "step " + s + " (" + r.steps()[s].kernel() + ") reads " + in + " after the write";
        }
        Step w = r.steps()[writer];
        if (!contains(r.reads()[writer], ib)) return null;
        int[] shape = r.owners()[writer].shape().dims();
        int[] dense = View.denseStrides(shape);
        if (w instanceof Steps.Fused f) {
            for (int k = 0; k < f.inBuffers().length; k++) {
                if (f.inBuffers()[k] == ib && (f.offsets()[k] != 0 || !java.util.Arrays.equals(f.strides()[k], dense))) {
                    return "the writing step reads " + in + " through a view other than the output's layout";
                }
            }
            return null;
        }
        if (w instanceof Steps.Copy c && c.in().offset() == 0 && java.util.Arrays.equals(c.in().strides(), dense)) return null;
        return "the writing step (" + w.kernel() + ") reads " + in + " and is not an elementwise pass";
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }


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
    /** Per step, how to find the op inside a fused chain that made a NaN (null for other steps). */
    private final List<NaNBlame> blames = new ArrayList<>();
    /** The blame of the step the next {@link #add} appends. */
    private NaNBlame blame;
    private final IntArrayList sizes = new IntArrayList();
    private final List<Kind> kinds = new ArrayList<>();
    private final List<DType> types = new ArrayList<>();
    private final Int2ObjectOpenHashMap<Object> constants = new Int2ObjectOpenHashMap<>();
    private final List<IndexSteps.ScatterAdd> scatters = new ArrayList<>();
    private final GemmWorkspace gemmWorkspace = new GemmWorkspace();
    /** Buffers of a plan lowered from the same graph whose constants this one shares (see {@link Plan#copy}); or null. */
    private final Object[] shared;
    private Node current;
    /** The memory budget in planned bytes (0: none); see {@link Recompute}. */
    private final long budget;

    private Lowering(Graph graph, List<Tensor> outputs, int threads, Object[] shared, long budget) {
        this.graph = graph;
        this.budget = budget;
        this.threads = threads;
        this.shared = shared;
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
            inlined[id] = isElementwise(node) && uses[id] == 1 && !isOutput[id] && isElementwise(graph.node(consumer[id]));
        }
    }

    /**
     * Lowers a graph whose every node is needed by {@code outputs} (the optimizer's output).
     *
     * @param inputs the graph's input tensors in the order the plan binds them
     */
    static Result lower(Graph graph, List<Tensor> outputs, List<Tensor> inputs, int threads) {
        return lower(graph, outputs, inputs, threads, null, 0);
    }

    /**
     * Lowers as above; with {@code shared} (the buffers of a plan lowered from the same arguments,
     * so with the same logical buffer numbers) the constants are that plan's arrays, not new ones;
     * with a positive {@code budget} (planned bytes) cheap elementwise steps run again before their
     * late readers until the plan fits it ({@link Recompute}), or the compile fails saying what it reaches.
     */
    static Result lower(Graph graph, List<Tensor> outputs, List<Tensor> inputs, int threads, Object[] shared, long budget) {
        Lowering l = new Lowering(graph, outputs, threads, shared, budget);
        int[] inputBuffers = new int[inputs.size()];
        for (Node node : graph.nodes()) {
            l.current = node;
            l.lowerNode(node);
            if (node.op() instanceof Input) inputBuffers[inputs.indexOf(graph.tensor(node.id()))] = l.views[node.id()].buffer();
        }
        int[] outputBuffers = new int[outputs.size()];
        for (int i = 0; i < outputs.size(); i++) outputBuffers[i] = l.pinOutput(outputs.get(i));
        // A scatter into zeros whose result is a plan output (an array no other step writes) may
        // clear only the rows it wrote last run; see IndexSteps.ScatterAdd.
        for (IndexSteps.ScatterAdd sa : l.scatters) sa.sparseReset = l.kinds.get(sa.output()) == Kind.OUTPUT;
        return l.assign(inputBuffers, inputs, outputBuffers);
    }

    // ---- per-node lowering --------------------------------------------------------------------

    private void lowerNode(Node node) {
        int id = node.id();
        int[] shape = node.shape().dims();
        DType type = node.dtype();
        switch (node.op()) {
            case Input in -> views[id] = View.dense(newBuffer(node.shape().size(), Kind.INPUT, type), shape);
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
                if (isViewConvert(node)) views[id] = operand(node, 0);
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
            case RandomBits rb -> {
                View key = operand(node, 0);
                int out = output(node);
                add(new Steps.RandomBitsStep(key.buffer(), key.offset(), key.offset() + key.strides()[0], node.shape().size(), out), key);
            }
            case DotGeneral d -> dotGeneral(node, d);
            case Conv c -> {
                View x = dense(operand(node, 0)), k = dense(operand(node, 1));
                // Output sizes from the op's own rule (Conv.infer), not re-derived here.
                int out = output(node);
                if (node.shape().size() == 0) break; // an empty batch or Cout = 0: nothing to compute
                ConvGeometry geometry = ConvGeometry.of(c, graph.node(node.inputs().get(0)).shape(), graph.node(node.inputs().get(1)).shape());
                if (type == DType.F64) add(new Steps.DConvolution(new DConv(geometry), x, k, out), x, k);
                else add(new Steps.Convolution(new ConvWorkspace(geometry, threads), x, k, out), x, k);
            }
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

    /** Whether a view shows only zeros of a constant (e.g. the broadcast zero a transposed gather scatters into). */
    private boolean isZeroConstant(View v) {
        if (kinds.get(v.buffer()) != Kind.CONSTANT) return false;
        Object data = constants.get(v.buffer());
        for (int i = 0; i < Storage.length(data); i++) if (Storage.get(data, i) != 0) return false;
        return true;
    }

    private boolean isViewConvert(Node node) {
        if (!(node.op() instanceof Convert c)) return false;
        DType from = graph.node(node.inputs().get(0)).dtype();
        return from == c.to() || (from == DType.BOOL && c.to() == DType.F32);
    }

    private boolean isElementwise(Node node) {
        return switch (node.op()) {
            case Unary u -> true;
            case Binary b -> true;
            case Compare c -> true;
            case Select s -> true;
            case Convert c -> !isViewConvert(node);
            case Input i -> false;
            case Constant c -> false;
            case Iota i -> false;
            case StopGradient s -> false;
            case BroadcastInDim b -> false;
            case Reshape r -> false;
            case Transpose t -> false;
            case Slice s -> false;
            case ReduceSum r -> false;
            case Reduce r -> false;
            case ArgReduce a -> false;
            case Cumsum c -> false;
            case Gather g -> false;
            case TakeAlongAxis t -> false;
            case ScatterAdd s -> false;
            case RandomBits r -> false;
            case DotGeneral d -> false;
            case Conv c -> false;
            case Pad p -> false;
            case Rev r -> false;
            case Concatenate c -> false;
        };
    }

    /** An elementwise node: folded into its consumer's program, or the root of a fused program. */
    private void elementwise(Node root) {
        if (inlined[root.id()]) return;
        if (fitsF32(root)) f32Chain(root);
        else typedChain(root);
    }

    /**
     * Whether the chain rooted here runs in the f32 vector program: every value in it is f32 or a
     * bool mask (0/1 floats), every leaf is stored as floats, and every op has an f32 kernel.
     */
    private boolean fitsF32(Node root) {
        for (int id : chainNodes(root)) {
            Node node = graph.node(id);
            if (!Storage.isFloatStorage(node.dtype())) return false;
            // Converts that are not views change the storage or the values: never in the f32 program.
            boolean ok;
            if (node.op() instanceof Unary u) ok = node.dtype() == DType.F32 && f32Unary(u.fn()) != null;
            else if (node.op() instanceof Binary b) ok = node.dtype() == DType.F32 && f32Binary(b.fn()) != null;
            else ok = node.op() instanceof Compare || node.op() instanceof Select;
            if (!ok) return false;
            for (int i = 0; i < node.inputs().size(); i++) {
                int in = node.inputs().get(i);
                if (!inlined[in] && !Storage.isFloatStorage(graph.node(in).dtype())) return false;
            }
        }
        return true;
    }

    private NaNBlame blameOf(Node root, Int2IntLinkedOpenHashMap leaves, View[] in) {
        int[] chain = chainNodes(root).toIntArray();
        java.util.Arrays.sort(chain); // node ids are topological
        return new NaNBlame(graph, chain, leaves.keySet().toIntArray(), in);
    }

    /** The root and every node inlined into its chain; iterative (see {@link #collectLeaves}). */
    private IntArrayList chainNodes(Node root) {
        IntArrayList out = new IntArrayList(), todo = new IntArrayList();
        todo.add(root.id());
        while (!todo.isEmpty()) {
            int id = todo.removeInt(todo.size() - 1);
            out.add(id);
            for (int in : graph.node(id).inputs().toArray()) if (inlined[in]) todo.add(in);
        }
        return out;
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
            if (inlined[in]) {
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
                if (inlined[in]) {
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
            case Unary u -> b.unary(f32Unary(u.fn()), r[0]);
            case Binary bin -> b.binary(f32Binary(bin.fn()), r[0], r[1]);
            case Compare c -> b.compare(f32Compare(c.comparison()), r[0], r[1]);
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
            case Pad p -> throw notElementwise(node);
            case Rev rv -> throw notElementwise(node);
            case Concatenate c -> throw notElementwise(node);
        };
    }

    private static IllegalStateException notElementwise(Node node) {
        return new IllegalStateException("not an f32 elementwise op: " + node);
    }

    /** The f32 vector kernel of a unary function; null for those defined on bool and integers only. */
    static UnaryKernelOp f32Unary(UnaryFn fn) {
        return switch (fn) {
            case NEG -> UnaryKernelOp.NEG;
            case EXP -> UnaryKernelOp.EXP;
            case LOG -> UnaryKernelOp.LOG;
            case TANH -> UnaryKernelOp.TANH;
            case LOGISTIC -> UnaryKernelOp.LOGISTIC;
            case SQRT -> UnaryKernelOp.SQRT;
            case RSQRT -> UnaryKernelOp.RSQRT;
            case ABS -> UnaryKernelOp.ABS;
            case SIGN -> UnaryKernelOp.SIGN;
            case ERF -> UnaryKernelOp.ERF;
            case SIN -> UnaryKernelOp.SIN;
            case COS -> UnaryKernelOp.COS;
            case ATAN -> UnaryKernelOp.ATAN;
            case LOG1P -> UnaryKernelOp.LOG1P;
            case EXPM1 -> UnaryKernelOp.EXPM1;
            case FLOOR -> UnaryKernelOp.FLOOR;
            case CEIL -> UnaryKernelOp.CEIL;
            case ROUND -> UnaryKernelOp.ROUND;
            case NOT -> null;
        };
    }

    /** The f32 vector kernel of a binary function; null for the bool/integer-only ones. */
    static BinaryKernelOp f32Binary(BinaryFn fn) {
        return switch (fn) {
            case ADD -> BinaryKernelOp.ADD;
            case SUB -> BinaryKernelOp.SUB;
            case MUL -> BinaryKernelOp.MUL;
            case DIV -> BinaryKernelOp.DIV;
            case MAX -> BinaryKernelOp.MAX;
            case MIN -> BinaryKernelOp.MIN;
            case POW -> BinaryKernelOp.POW;
            case REM -> BinaryKernelOp.REM;
            case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> null;
        };
    }

    static CompareKernelOp f32Compare(Comparison c) {
        return switch (c) {
            case LT -> CompareKernelOp.LT;
            case LE -> CompareKernelOp.LE;
            case GT -> CompareKernelOp.GT;
            case GE -> CompareKernelOp.GE;
            case EQ -> CompareKernelOp.EQ;
            case NE -> CompareKernelOp.NE;
        };
    }

    /** The value of a node that is a one-element float-stored constant seen through a broadcast, or null. */
    private Float scalarConstant(int id) {
        View v = views[id];
        if (v == null || kinds.get(v.buffer()) != Kind.CONSTANT) return null;
        if (!(constants.get(v.buffer()) instanceof float[] data)) return null;
        return data.length == 1 ? data[0] : null;
    }

    /** The value of a one-element constant of any type, or null. */
    private Double typedScalar(int id) {
        View v = views[id];
        if (v == null || kinds.get(v.buffer()) != Kind.CONSTANT) return null;
        Object data = constants.get(v.buffer());
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
            case Pad p -> throw notElementwise(node);
            case Rev rv -> throw notElementwise(node);
            case Concatenate c -> throw notElementwise(node);
        };
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
        double[] dWorkspace = node.dtype() == DType.F64 ? new double[DGemm.workspaceLength((int) xk[0], (int) yn[0])] : null;
        add(new Steps.MatMul((int) xb[0], (int) xm[0], (int) yn[0], (int) xk[0],
                x.buffer(), x.offset(), (int) xm[1], (int) xk[1], (int) xb[1],
                y.buffer(), y.offset(), (int) yk[1], (int) yn[1], (int) yb[1], gemmWorkspace, dWorkspace, out), x, y);
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

    private int newBuffer(int size, Kind kind, DType type) {
        sizes.add(size);
        kinds.add(kind);
        types.add(type);
        return sizes.size() - 1;
    }

    private View constant(Object data, DType type, int[] shape) {
        int b = newBuffer(Storage.length(data), Kind.CONSTANT, type);
        constants.put(b, data);
        return View.dense(b, shape);
    }

    /** Takes a constant's array from the plan being copied, if there is one. */
    private boolean sharedConstant(Node node) {
        if (shared == null) return false;
        int b = newBuffer(node.shape().size(), Kind.CONSTANT, node.dtype());
        constants.put(b, shared[b]);
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
        int b = newBuffer(node.shape().size(), Kind.SCRATCH, node.dtype());
        views[node.id()] = View.dense(b, node.shape().dims());
        return b;
    }

    /** {@code v} itself if dense, else a dense copy made by a new step. */
    private View dense(View v) { return v.isDense() ? v : materialize(v); }

    private View materialize(View v) {
        int b = newBuffer(v.size(), Kind.SCRATCH, types.get(v.buffer()));
        add(copy(v, b), v);
        return View.dense(b, v.shape());
    }

    private void add(Step step, View... in) {
        if (sizes.getInt(step.output()) == 0) { // nothing to compute for an empty result
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
    private int pinOutput(Tensor t) {
        View v = views[t.id()];
        boolean own = kinds.get(v.buffer()) == Kind.SCRATCH || kinds.get(v.buffer()) == Kind.OUTPUT;
        if (own && v.isDense() && v.offset() == 0 && sizes.getInt(v.buffer()) == v.size()) {
            kinds.set(v.buffer(), Kind.OUTPUT);
            return v.buffer();
        }
        current = t.node();
        int b = newBuffer(v.size(), Kind.OUTPUT, types.get(v.buffer()));
        add(copy(v, b), v);
        return b;
    }

    /** A step copying a view densely into buffer {@code b}, for the view's storage. */
    private Step copy(View v, int b) {
        if (Storage.isFloatStorage(types.get(v.buffer()))) return new Steps.Copy(v, b);
        return Steps.TypedCopy.of(v, 0, View.denseStrides(v.shape()), false, v.size(), "copy", b);
    }

    /**
     * Maps logical buffers to arrays by liveness over the schedule. The mapping is planned first
     * (physical arrays as numbered slots of a type and length), its bytes checked against the
     * memory the JVM can still give ({@link Memory#require}), and only then allocated: a plan that
     * cannot fit is an error saying how much it needs, never an OutOfMemoryError halfway.
     */
    private Result assign(int[] inputBuffers, List<Tensor> inputs, int[] outputBuffers) {
        int n = sizes.size();
        int[] size = sizes.toIntArray();
        DType[] type = types.toArray(new DType[0]);
        boolean[] pooled = new boolean[n], own = new boolean[n], fed = new boolean[n], out = new boolean[n];
        // Arrays are reused only within one storage type; bytes count each array at its type's width.
        long constantBytes = 0;
        for (var e : constants.int2ObjectEntrySet()) {
            constantBytes += (long) Storage.bytes(types.get(e.getIntKey())) * Storage.length(e.getValue());
        }
        for (int b = 0; b < n; b++) {
            // Outputs own exact-size arrays that later steps never reuse; empty results need no step.
            own[b] = kinds.get(b) == Kind.OUTPUT || (kinds.get(b) == Kind.SCRATCH && size[b] == 0);
            pooled[b] = !own[b] && kinds.get(b) == Kind.SCRATCH && !constants.containsKey(b);
            fed[b] = kinds.get(b) == Kind.INPUT;
            out[b] = kinds.get(b) == Kind.OUTPUT;
        }
        // Scratch the kernels keep beyond the buffers: each thread's fused-program workspace (as
        // large as the largest program it runs) and the f64 GEMM workspaces.
        long fusedWorkspace = 0, workspaceBytes = 0;
        for (Step st : steps) {
            if (st instanceof Steps.Fused f) fusedWorkspace = Math.max(fusedWorkspace, f.program().workspaceBytes());
            if (st instanceof Steps.MatMul m && m.dWorkspace() != null) workspaceBytes += 8L * m.dWorkspace().length;
        }
        workspaceBytes += fusedWorkspace * Math.max(1, threads);
        Recompute.Schedule schedule = new Recompute.Schedule(steps, reads, size, type, pooled, own, fed, out);
        Recompute.Chosen chosen;
        if (budget > 0) {
            chosen = Recompute.choose(schedule, owners, graph, constantBytes + workspaceBytes, budget);
            if (!chosen.met()) throw Recompute.unmet(chosen, budget, constantBytes, workspaceBytes);
        } else {
            IntArrayList identity = new IntArrayList();
            for (int s = 0; s < steps.size(); s++) identity.add(s);
            SlotScan.Slots sl = Recompute.scan(schedule, identity);
            long total = constantBytes + workspaceBytes + sl.pooledBytes() + sl.ownBytes();
            chosen = new Recompute.Chosen(identity.toIntArray(), sl, total, total, true);
        }
        // The schedule in its final order (a step index appearing twice runs twice: a recomputation).
        int[] order = chosen.order();
        List<Step> ordered = new ArrayList<>();
        List<Node> orderedOwners = new ArrayList<>();
        List<NaNBlame> orderedBlames = new ArrayList<>();
        List<int[]> orderedReads = new ArrayList<>();
        List<MemoryReport.Recomputed> recomputed = new ArrayList<>();
        boolean[] seen = new boolean[steps.size()];
        for (int p = 0; p < order.length; p++) {
            int s = order[p];
            ordered.add(steps.get(s));
            orderedOwners.add(owners.get(s));
            orderedBlames.add(blames.get(s));
            orderedReads.add(reads.get(s));
            if (seen[s]) {
                Node o = owners.get(s);
                recomputed.add(new MemoryReport.Recomputed("%" + o.id() + " " + o.op().name() + " " + o.dtype().label() + o.shape(),
                        steps.get(s).kernel(), p, (long) Storage.bytes(type[steps.get(s).output()]) * size[steps.get(s).output()]));
            }
            seen[s] = true;
        }
        SlotScan.Slots sl = chosen.slots();
        int[] slot = sl.slot();
        List<DType> slotType = sl.types();
        IntArrayList slotLength = sl.lengths();
        long bytes = constantBytes + workspaceBytes + sl.pooledBytes() + sl.ownBytes();
        int[] outs = new int[ordered.size()];
        for (int p = 0; p < outs.length; p++) outs[p] = ordered.get(p).output();
        long live = SlotScan.livePeak(outs, orderedReads, size, type, pooled, own);
        if (Boolean.getBoolean("adjoint.debugLive")) SlotScan.debugLive(outs, orderedReads, size, type, pooled, ordered, orderedOwners);
        MemoryReport memory = new MemoryReport(bytes, constantBytes, outputBytes(own, size, type), sl.pooledBytes(),
                workspaceBytes, live, chosen.defaultPeak(), budget, recomputed);
        long arrays = 0;
        for (int i = 0; i < slotLength.size(); i++) arrays += (long) Storage.bytes(slotType.get(i)) * slotLength.getInt(i);
        Memory.require(arrays, "the plan's " + slotLength.size() + " buffers (" + bytes + " planned bytes in all)");
        Object[] arraysBySlot = new Object[slotLength.size()];
        for (int i = 0; i < arraysBySlot.length; i++) arraysBySlot[i] = Storage.allocate(slotType.get(i), slotLength.getInt(i));
        Object[] buffers = new Object[n];
        boolean[] constant = new boolean[n];
        for (var e : constants.int2ObjectEntrySet()) {
            buffers[e.getIntKey()] = e.getValue();
            constant[e.getIntKey()] = true;
        }
        for (int b = 0; b < n; b++) if (slot[b] >= 0) buffers[b] = arraysBySlot[slot[b]];
        Step[] stepArray = ordered.toArray(new Step[0]);
        int[] outputSizes = new int[stepArray.length];
        for (int i = 0; i < outputSizes.length; i++) outputSizes[i] = size[stepArray[i].output()];
        return new Result(stepArray, orderedOwners.toArray(new Node[0]), outputSizes, buffers, inputBuffers,
                inputs.toArray(new Tensor[0]), outputBuffers, bytes, constant, orderedBlames.toArray(new NaNBlame[0]),
                orderedReads.toArray(new int[0][]), memory);
    }

    private static long outputBytes(boolean[] own, int[] size, DType[] type) {
        long b = 0;
        for (int i = 0; i < own.length; i++) if (own[i]) b += (long) Storage.bytes(type[i]) * size[i];
        return b;
    }

}
