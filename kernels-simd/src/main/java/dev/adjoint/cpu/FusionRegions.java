package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
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
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.Reduce;
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
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.List;

/**
 * The first lowering pass: decides, from the graph alone and before any step is built, what each
 * node becomes. An elementwise node read once, by another elementwise node, and not a plan output
 * is folded into its reader's chain ({@link Role#FUSED}); the top of such a chain is a
 * {@link Role#CHAIN_ROOT} whose whole chain runs as one fused program, in the f32 vector program
 * if every value and op fits it ({@link Chain#F32}), else in the typed one. Broadcasts, transposes,
 * slices, reshapes, stop_gradient and storage-preserving converts are {@link Role#VIEW}s of their
 * operand's buffer. Everything else is a kernel of its own.
 *
 * <p>Like XLA, which keeps its fusion pass apart from buffer assignment, this pass only decides;
 * {@link NodeLowering} builds the steps and {@link BufferPlanner} the arrays.
 */
final class FusionRegions {
    /** What a node becomes in the plan. */
    enum Role {
        /** A plan input: a buffer the caller feeds. */
        INPUT,
        /** A constant or iota: a buffer built at compile time. */
        CONSTANT,
        /** A strided window on its operand's buffer: no step (unless a kernel later needs it dense). */
        VIEW,
        /** An elementwise op folded into the fused program of the chain root that reads it. */
        FUSED,
        /** The top of a fused elementwise chain: one step for the whole chain. */
        CHAIN_ROOT,
        /** A kernel of its own (reduction, GEMM, conv, movement, indexing, ...). */
        KERNEL,
        /**
         * A dot_general, or the bias add after it, computed by the GEMM step of the
         * {@link #GEMM_ROOT} of its {@link Epilogue}: no step and no buffer of its own.
         */
        IN_GEMM,
        /** The last node of a dot_general's {@link Epilogue}: its step is the GEMM, writing this node's value. */
        GEMM_ROOT,
        /**
         * A conv, or the bias add or max of its {@link ConvFusion}, computed by the conv step of
         * the fusion's {@link #CONV_ROOT}: no step and no buffer of its own.
         */
        IN_CONV,
        /** The last node of a conv's {@link ConvFusion}: its step is the conv with the epilogue, writing this node's value. */
        CONV_ROOT
    }

    /**
     * A conv whose per-channel bias add and clamp run in the conv's epilogue, on each block of
     * outputs as it is finished ({@code dev.adjoint.kernels.ConvEpilogue}): {@code conv + bias},
     * then optionally {@code max(., lo)} and then {@code min(., hi)} with scalar constants (ReLU:
     * {@code max(., 0)}; ReLU6, ONNX's Clip(0, 6): both). As for {@link Epilogue}, only nodes that
     * nobody else reads are folded (one use, not an output), so no folded value is needed on its
     * own; the results are bitwise those of the separate steps (the same f32 add, max and min in
     * the same order).
     *
     * @param conv the conv node
     * @param bias the broadcast node holding the bias (its operand, made dense, is the Cout bias vector), or -1
     * @param lo the max's constant, -inf for none
     * @param hi the min's constant, +inf for none
     * @param root the last node: the value the conv writes
     */
    record ConvFusion(int conv, int bias, float lo, float hi, int root) {}

    /**
     * A dot_general whose bias add and relu run in the GEMM's epilogue while the output tile is
     * still in registers (XLA's gemm_rewriter): {@code max(dot(x, w) + bias, 0)},
     * {@code dot(x, w) + bias} or {@code max(dot(x, w), 0)}. Only a dot that nobody else reads
     * (one use, not an output) is folded, and the bias add only if only the relu reads it, so no
     * folded value is ever needed on its own; the root's value is the GEMM's output. Results are
     * bitwise those of the separate steps: the GEMM adds the bias to the finished K-sum in f32 and
     * applies {@code max(v, 0)} as the vector program does.
     *
     * @param dot the dot_general node
     * @param bias the broadcast node holding the bias (its operand, made dense, is the bias vector), or -1
     * @param perRow whether the bias runs along the output rows (the lhs free axes) rather than the columns
     * @param relu whether {@code max(., 0)} follows
     * @param root the last node: the value the GEMM writes
     */
    record Epilogue(int dot, int bias, boolean perRow, boolean relu, int root) {}

    /** Which fused-program interpreter a chain runs in. */
    enum Chain {
        /** The f32 vector program ({@code FusedProgram}). */
        F32,
        /** The typed program over any element types ({@code TypedProgram}). */
        TYPED
    }

    private final Graph graph;
    private final int[] uses;
    private final boolean[] inlined;
    private final boolean[] isOutput;
    private final Role[] roles;
    private final it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap<Epilogue> epilogues = new it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap<>();
    private final it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap<ConvFusion> convFusions = new it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap<>();

    private FusionRegions(Graph graph, List<Tensor> outputs) {
        this.graph = graph;
        int n = graph.size();
        uses = new int[n];
        int[] consumer = new int[n];
        inlined = new boolean[n];
        isOutput = new boolean[n];
        roles = new Role[n];
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
        for (Node node : graph.nodes()) roles[node.id()] = roleOf(node);
        for (Node node : graph.nodes()) if (node.op() instanceof DotGeneral) gemmEpilogue(node, consumer);
        for (Node node : graph.nodes()) if (node.op() instanceof Conv) convFusion(node, consumer);
    }

    /** Finds the fused bias and clamp of conv {@code c} (see {@link ConvFusion}) and marks its nodes; nothing if there is none. */
    private void convFusion(Node c, int[] consumer) {
        int id = c.id();
        if (c.dtype() != DType.F32 || uses[id] != 1 || isOutput[id] || c.shape().size() == 0) return;
        int rank = c.shape().rank(), bias = -1, root = id;
        float lo = Float.NEGATIVE_INFINITY, hi = Float.POSITIVE_INFINITY;
        IntArrayList folded = new IntArrayList();
        Node n = graph.node(consumer[id]);
        if (n.op() instanceof Binary b && b.fn() == dev.adjoint.graph.op.BinaryFn.ADD && n.dtype() == DType.F32) {
            int other = n.inputs().get(0) == id ? n.inputs().get(1) : n.inputs().get(0);
            Node bn = graph.node(other);
            // A per-channel bias: a broadcast whose non-unit axes are exactly the channel axis, at full size.
            if (other == id || !(bn.op() instanceof BroadcastInDim bc) || bn.dtype() != DType.F32
                    || !covers(c, bc, graph.node(bn.inputs().get(0)), rank - 1, rank)) return;
            bias = other;
            root = n.id();
            folded.add(root);
        }
        if (uses[root] == 1 && !isOutput[root]) {
            Node m = graph.node(consumer[root]);
            Float v = scalarOperand(m, root, dev.adjoint.graph.op.BinaryFn.MAX);
            if (v != null) {
                lo = v;
                root = m.id();
                folded.add(root);
                if (uses[root] == 1 && !isOutput[root]) {
                    Node h = graph.node(consumer[root]);
                    Float w = scalarOperand(h, root, dev.adjoint.graph.op.BinaryFn.MIN);
                    if (w != null) {
                        hi = w;
                        root = h.id();
                        folded.add(root);
                    }
                }
            }
        }
        if (root == id) return;
        convFusions.put(root, new ConvFusion(id, bias, lo, hi, root));
        roles[id] = Role.IN_CONV;
        for (int f : folded) {
            roles[f] = f == root ? Role.CONV_ROOT : Role.IN_CONV;
            // Computed by the conv: none of them is part of an elementwise chain any more (a chain
            // reading the root loads it as a leaf).
            inlined[f] = false;
        }
    }

    /**
     * The f32 constant {@code s} when {@code n} is the f32 binary {@code fn(x, s)} or {@code fn(s, x)}
     * of the node {@code x} and a one-element constant seen through broadcasts and reshapes; else null.
     */
    private Float scalarOperand(Node n, int x, dev.adjoint.graph.op.BinaryFn fn) {
        if (!(n.op() instanceof Binary b) || b.fn() != fn || n.dtype() != DType.F32) return null;
        int a0 = n.inputs().get(0), a1 = n.inputs().get(1);
        if (a0 == a1) return null;
        Node s = graph.node(a0 == x ? a1 : a0);
        while (s.op() instanceof BroadcastInDim || s.op() instanceof Reshape) s = graph.node(s.inputs().get(0));
        if (!(s.op() instanceof Constant k) || k.shape().size() != 1 || s.dtype() != DType.F32) return null;
        return (float) k.value(0);
    }

    /** Finds the epilogue of dot {@code d} (see {@link Epilogue}) and marks its nodes; nothing if there is none. */
    private void gemmEpilogue(Node d, int[] consumer) {
        int id = d.id();
        if (d.dtype() != DType.F32 || uses[id] != 1 || isOutput[id] || d.shape().size() == 0) return;
        DotGeneral op = (DotGeneral) d.op();
        Node c = graph.node(consumer[id]);
        int bias = -1, root = id;
        boolean perRow = false, relu = false;
        if (c.op() instanceof Binary b && b.fn() == dev.adjoint.graph.op.BinaryFn.ADD && c.dtype() == DType.F32) {
            int other = c.inputs().get(0) == id ? c.inputs().get(1) : c.inputs().get(0);
            if (other == id) return; // dot + dot: not a bias
            int axis = biasAxis(d, op, graph.node(other));
            if (axis < 0) return;
            bias = other;
            perRow = axis == 1;
            root = c.id();
            if (uses[root] == 1 && !isOutput[root]) {
                Node r = graph.node(consumer[root]);
                if (isRelu(r, root)) {
                    relu = true;
                    root = r.id();
                }
            }
        } else if (isRelu(c, id)) {
            relu = true;
            root = c.id();
        } else return;
        Epilogue e = new Epilogue(id, bias, perRow, relu, root);
        epilogues.put(root, e);
        roles[id] = Role.IN_GEMM;
        if (bias >= 0 && root != consumer[id]) roles[consumer[id]] = Role.IN_GEMM;
        roles[root] = Role.GEMM_ROOT;
        // The root is materialized by the GEMM: a chain reading it loads it as a leaf.
        inlined[root] = false;
        inlined[consumer[id]] = false;
    }

    /**
     * 0 if {@code b} is a broadcast of a bias along the dot's columns (its rhs free axes), 1
     * along its rows (lhs free axes), -1 if neither: a BroadcastInDim of an f32 value whose axes of
     * size above 1 map, in order and at full size, onto exactly the axes of size above 1 of one
     * free group, so that the value read densely is the bias vector.
     */
    private int biasAxis(Node d, DotGeneral op, Node b) {
        if (!(b.op() instanceof BroadcastInDim bc) || b.dtype() != DType.F32) return -1;
        Node v = graph.node(b.inputs().get(0));
        int nb = op.lhsBatch().size();
        int nm = op.lhsFree(graph.node(d.inputs().get(0)).shape().rank()).size();
        int rank = d.shape().rank();
        if (covers(d, bc, v, nb + nm, rank)) return 0;
        if (covers(d, bc, v, nb, nb + nm)) return 1;
        return -1;
    }

    /** Whether the broadcast's non-unit axes are exactly the non-unit output axes in [from, to), in order and at full size. */
    private static boolean covers(Node d, BroadcastInDim bc, Node v, int from, int to) {
        int[] out = d.shape().dims(), in = v.shape().dims();
        int prev = -1;
        boolean[] hit = new boolean[out.length];
        for (int i = 0; i < in.length; i++) {
            if (in[i] == 1) continue;
            int a = bc.dims().get(i);
            if (a < from || a >= to || a <= prev || in[i] != out[a]) return false;
            hit[a] = true;
            prev = a;
        }
        for (int a = from; a < to; a++) if (out[a] != 1 && !hit[a]) return false;
        return true;
    }

    /** Whether {@code r} is {@code max(x, +0)} or {@code max(+0, x)} for the node {@code x}, in f32. */
    private boolean isRelu(Node r, int x) {
        if (!(r.op() instanceof Binary b) || b.fn() != dev.adjoint.graph.op.BinaryFn.MAX || r.dtype() != DType.F32) return false;
        int a0 = r.inputs().get(0), a1 = r.inputs().get(1);
        if (a0 == x) return a1 != x && isPositiveZero(graph.node(a1));
        return a1 == x && isPositiveZero(graph.node(a0));
    }

    /** Whether a node is a one-element constant +0.0 (bitwise: max(-0, -0) is -0, the GEMM's relu gives +0), seen through broadcasts and reshapes. */
    private boolean isPositiveZero(Node n) {
        while (n.op() instanceof BroadcastInDim || n.op() instanceof Reshape) n = graph.node(n.inputs().get(0));
        return n.op() instanceof Constant c && c.shape().size() == 1 && Double.doubleToRawLongBits(c.value(0)) == 0L;
    }

    /** The conv fusion whose root is node {@code root} (a {@link Role#CONV_ROOT}). */
    ConvFusion convFusion(int root) { return convFusions.get(root); }

    /** The epilogue whose root is node {@code root} (a {@link Role#GEMM_ROOT}). */
    Epilogue epilogue(int root) { return epilogues.get(root); }

    /** The regions of a graph lowered for {@code outputs}. */
    static FusionRegions of(Graph graph, List<Tensor> outputs) { return new FusionRegions(graph, outputs); }

    /** What node {@code id} becomes. */
    Role role(int id) { return roles[id]; }

    /** Whether node {@code id} is folded into its consumer's chain. */
    boolean inlined(int id) { return inlined[id]; }

    /** Whether node {@code id} is one of the plan's outputs. */
    boolean isOutput(int id) { return isOutput[id]; }

    /** How many operand slots of other nodes read node {@code id}. */
    int uses(int id) { return uses[id]; }

    /** The interpreter of the chain rooted at {@code root} (a {@link Role#CHAIN_ROOT}). */
    Chain chain(Node root) { return fitsF32(root) ? Chain.F32 : Chain.TYPED; }

    private Role roleOf(Node node) {
        return switch (node.op()) {
            case Input i -> Role.INPUT;
            case Constant c -> Role.CONSTANT;
            case Iota i -> Role.CONSTANT;
            case StopGradient s -> Role.VIEW;
            case BroadcastInDim b -> Role.VIEW;
            case Reshape r -> Role.VIEW;
            case Transpose t -> Role.VIEW;
            case Slice s -> Role.VIEW;
            case Convert c -> isViewConvert(node) ? Role.VIEW : elementwiseRole(node);
            case Unary u -> elementwiseRole(node);
            case Binary b -> elementwiseRole(node);
            case Compare c -> elementwiseRole(node);
            case Select s -> elementwiseRole(node);
            case ReduceSum r -> Role.KERNEL;
            case Reduce r -> Role.KERNEL;
            case ArgReduce a -> Role.KERNEL;
            case Cumsum c -> Role.KERNEL;
            case Gather g -> Role.KERNEL;
            case TakeAlongAxis t -> Role.KERNEL;
            case ScatterAdd s -> Role.KERNEL;
            case RandomBits r -> Role.KERNEL;
            case DotGeneral d -> Role.KERNEL;
            case Conv c -> Role.KERNEL;
            case WindowMax w -> Role.KERNEL;
            case WindowMaxGather w -> Role.KERNEL;
            case WindowMaxScatter w -> Role.KERNEL;
            case Pad p -> Role.KERNEL;
            case Rev r -> Role.KERNEL;
            case Concatenate c -> Role.KERNEL;
        };
    }

    private Role elementwiseRole(Node node) { return inlined[node.id()] ? Role.FUSED : Role.CHAIN_ROOT; }

    /** Whether a convert keeps both the storage and the values (to its own type, or bool to f32: bool is 0/1 floats, see Storage). */
    boolean isViewConvert(Node node) {
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
            case WindowMax w -> false;
            case WindowMaxGather w -> false;
            case WindowMaxScatter w -> false;
            case Pad p -> false;
            case Rev r -> false;
            case Concatenate c -> false;
        };
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
            if (node.op() instanceof Unary u) ok = node.dtype() == DType.F32 && F32Ops.unary(u.fn()) != null;
            else if (node.op() instanceof Binary b) ok = node.dtype() == DType.F32 && F32Ops.binary(b.fn()) != null;
            else ok = node.op() instanceof Compare || node.op() instanceof Select;
            if (!ok) return false;
            for (int i = 0; i < node.inputs().size(); i++) {
                int in = node.inputs().get(i);
                if (!inlined[in] && !Storage.isFloatStorage(graph.node(in).dtype())) return false;
            }
        }
        return true;
    }

    /** The root and every node inlined into its chain; iterative (see {@link #collectLeaves}). */
    IntArrayList chainNodes(Node root) {
        IntArrayList out = new IntArrayList(), todo = new IntArrayList();
        todo.add(root.id());
        while (!todo.isEmpty()) {
            int id = todo.removeInt(todo.size() - 1);
            out.add(id);
            for (int in : graph.node(id).inputs().toArray()) if (inlined[in]) todo.add(in);
        }
        return out;
    }
}
