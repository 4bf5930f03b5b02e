package dev.adjoint.graph;

import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.TakeAlongAxis;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * A static dataflow graph: an append-only list of {@link Node}s, so that insertion order is a
 * topological order. Users build it through {@link Tensor} handles; autodiff appends its
 * derivative nodes to the same graph; passes build new graphs.
 *
 * <p>Every node's shape is inferred, and every rule checked, when the node is added: a bad graph
 * fails at the user's line, never later. A graph is not thread-safe while it is being built.
 */
public final class Graph {
    private final ArrayList<Node> nodes = new ArrayList<>();
    private final ArrayList<Tensor> handles = new ArrayList<>();
    private StackTraceElement site;

    /** An empty graph. */
    public Graph() {}

    /** A named f32 input of the given shape, fed at run time. */
    public Tensor input(String name, int... dims) {
        // The shape is made inside the factory so that a negative or overflowing size names the user's line.
        return add(() -> new Input(name, Shape.of(dims)));
    }

    /** A named f32 input of the given shape, fed at run time. */
    public Tensor input(String name, Shape shape) { return add(() -> new Input(name, shape)); }

    /** A named input of the given element type and shape, fed at run time. */
    public Tensor input(String name, DType dtype, int... dims) { return add(() -> new Input(name, Shape.of(dims), dtype)); }

    /** A named input of the given element type and shape, fed at run time. */
    public Tensor input(String name, DType dtype, Shape shape) { return add(() -> new Input(name, shape, dtype)); }

    /** An f32 scalar constant. */
    public Tensor constant(double value) { return add(Constant.scalar(value)); }

    /** A scalar constant of the given type. */
    public Tensor constant(double value, DType dtype) { return add(() -> Constant.scalar(value, dtype)); }

    /** An f32 constant tensor with the given row-major values. */
    public Tensor constant(Shape shape, double... values) { return add(() -> new Constant(shape, values)); }

    /** A constant tensor of the given type with the given row-major values. */
    public Tensor constant(DType dtype, Shape shape, double... values) { return add(() -> new Constant(shape, dtype, values)); }

    /** An f32 tensor of the given shape filled with {@code value} (a scalar constant, broadcast). */
    public Tensor fill(double value, int... dims) { return constant(value).broadcastTo(dims); }

    /** A tensor of the given type and shape filled with {@code value} (a scalar constant, broadcast). */
    public Tensor fill(double value, DType dtype, int... dims) { return constant(value, dtype).broadcastTo(dims); }

    /** The i32 index ramp along {@code axis} of {@code shape}: element {@code [.., i, ..]} is {@code i}. */
    public Tensor iota(Shape shape, int axis) { return add(() -> new Iota(shape, axis)); }

    /** The index ramp along {@code axis} of {@code shape}, of the given numeric type. */
    public Tensor iota(Shape shape, int axis, DType dtype) { return add(() -> new Iota(shape, axis, dtype)); }

    /**
     * Appends a node applying {@code op} to {@code operands}.
     *
     * @throws ShapeException if the operands break the op's rule: the message names the op, the
     *     attribute or operand at fault, the rule broken, the operand shapes and the user's line
     */
    public Tensor add(Op op, Tensor... operands) { return add(() -> op, operands); }

    /** Appends a node applying {@code op} to {@code operands}; see {@link #add(Op, Tensor...)}. */
    public Tensor add(Op op, List<Tensor> operands) { return add(() -> op, operands.toArray(new Tensor[0])); }

    /**
     * Like {@link #add(Op, Tensor...)}, but also reports an invalid attribute found while making
     * the op record with the user's line.
     */
    public Tensor add(Supplier<? extends Op> opFactory, Tensor... operands) {
        StackTraceElement where = site != null ? site : CallSite.capture();
        Op op;
        try {
            op = opFactory.get();
        } catch (ShapeException e) {
            throw new ShapeException(e.getMessage() + describeOperands(null, operands, false) + " (at " + CallSite.describe(where) + ")");
        }
        int arity = op.arity();
        if (arity >= 0 ? operands.length != arity : operands.length < 1) {
            throw new ShapeException(op.name() + ": takes " + (arity >= 0 ? String.valueOf(arity) : "one or more")
                    + " operands, got " + operands.length + " (at " + CallSite.describe(where) + ")");
        }
        int[] ids = new int[operands.length];
        List<Shape> shapes = new ArrayList<>(operands.length);
        List<DType> types = new ArrayList<>(operands.length);
        for (int i = 0; i < operands.length; i++) {
            Tensor t = operands[i];
            if (t == null) throw new NullPointerException(op.name() + ": operand " + i + " is null");
            if (t.graph() != this) {
                throw new ShapeException(op.name() + ": operand " + i + " belongs to another graph (at "
                        + CallSite.describe(where) + ")");
            }
            ids[i] = t.id();
            shapes.add(t.shape());
            types.add(t.dtype());
        }
        DType dtype;
        try {
            dtype = op.type(Collections.unmodifiableList(types));
        } catch (ShapeException e) {
            throw new ShapeException(e.getMessage() + describeOperands(op, operands, true) + " (at " + CallSite.describe(where) + ")");
        }
        Shape shape;
        try {
            shape = op.infer(Collections.unmodifiableList(shapes));
        } catch (ShapeException e) {
            throw new ShapeException(e.getMessage() + describeOperands(op, operands, false) + " (at " + CallSite.describe(where) + ")");
        }
        Node node = new Node(nodes.size(), op, Ints.of(ids), shape, dtype, where);
        nodes.add(node);
        Tensor handle = new Tensor(this, node.id());
        handles.add(handle);
        return handle;
    }

    /**
     * The operand shapes (with their element types for a type error), named as the ops' messages
     * name them: x, y; mask, a, b for select; x, indices(, updates) for the index ops; x0, x1, ... otherwise.
     */
    private static String describeOperands(Op op, Tensor[] operands, boolean withTypes) {
        if (operands.length == 0) return "";
        StringBuilder sb = new StringBuilder(";");
        String[] names = op instanceof Select ? new String[] {"mask", "a", "b"}
                : op instanceof ScatterAdd ? new String[] {"x", "indices", "updates"}
                : op instanceof Gather || op instanceof TakeAlongAxis ? new String[] {"x", "indices"}
                : op instanceof RandomBits ? new String[] {"key"}
                : op instanceof dev.adjoint.graph.op.WindowMaxGather ? new String[] {"x", "t"}
                : op instanceof dev.adjoint.graph.op.WindowMaxScatter ? new String[] {"x", "c"}
                : operands.length == 1 ? new String[] {"x"}
                : operands.length == 2 ? new String[] {"x", "y"} : null;
        for (int i = 0; i < operands.length; i++) {
            sb.append(i == 0 ? " " : ", ").append(names != null ? names[i] : "x" + i).append(": ")
                    .append(operands[i] == null ? "null" : (withTypes ? operands[i].dtype().label() : "") + operands[i].shape());
        }
        return sb.toString();
    }

    /**
     * Runs {@code body} with every node it adds attributed to {@code where} instead of a freshly
     * captured call site. Library transformations (autodiff) capture the user's line once and
     * use this, so that appending thousands of nodes does not walk the stack thousands of times.
     */
    public <T> T withSite(StackTraceElement where, Supplier<T> body) {
        StackTraceElement saved = site;
        site = where;
        try {
            return body.get();
        } finally {
            site = saved;
        }
    }

    /** Number of nodes. */
    public int size() { return nodes.size(); }

    /** The node with id {@code id}. */
    public Node node(int id) { return nodes.get(id); }

    /** All nodes, in insertion (topological) order; an unmodifiable view. */
    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

    /** The handle of node {@code id}. */
    public Tensor tensor(int id) { return handles.get(id); }

    /** The handles of all input nodes, in insertion order. */
    public List<Tensor> inputs() {
        List<Tensor> out = new ArrayList<>();
        for (Node n : nodes) if (n.op() instanceof Input) out.add(handles.get(n.id()));
        return out;
    }

    /** The input named {@code name}. */
    public Tensor inputNamed(String name) {
        for (Node n : nodes) if (n.op() instanceof Input in && in.label().equals(name)) return handles.get(n.id());
        throw new IllegalArgumentException("graph has no input named \"" + name + "\"");
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) sb.append(n).append('\n');
        return sb.toString();
    }
}
