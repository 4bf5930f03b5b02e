package dev.adjoint.autodiff;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.util.ArrayList;
import java.util.List;

/**
 * The linearization of a graph region: a straight-line program of linear primitives over linear
 * variables, kept in memory and never added to the graph.
 *
 * <p>Each equation applies an ordinary primitive {@link Op} to arguments that are either linear
 * variables ({@link Lin}) or primal tensors of the graph ({@link Tensor}, constants to the
 * program: the {@code y} of {@code t * y} in the JVP of {@code exp}). The program is linear in its
 * variables; a {@code null} variable is a symbolic zero and never appears as an argument.
 *
 * <p>Two interpretations turn it into graph nodes: {@link #forward} (forward mode: emit every
 * equation as written, tangents flow from the seeds) and {@link #transpose} (reverse mode: walk the
 * equations backwards and emit each one's transpose rule, {@link TransposeRules}). Why a separate
 * program rather than tangent nodes in the graph: reverse mode then appends only the transposed
 * nodes, and the JVP rules ({@link JvpRules}) are written once for both modes.
 */
final class LinearProgram {
    /** A linear variable: the tangent of one float value, identified by its position in the program. */
    record Lin(int id, Shape shape, DType dtype) {}

    /**
     * A zero argument of a linear equation (the zero side of a {@code select}, a zero operand of a
     * {@code concatenate}): materialized only if forward mode emits the equation; transposition
     * skips it like a constant.
     */
    record Zero(Shape shape, DType dtype) {}

    /**
     * One equation {@code out = op(args)}.
     *
     * @param op a primitive that is linear in the {@link Lin} arguments
     * @param args each a {@link Lin} (linear), a {@link Tensor} (primal constant) or a {@link Zero}
     * @param out the defined variable
     */
    record Eqn(Op op, Object[] args, Lin out) {}

    final Graph graph;
    final List<Eqn> eqns = new ArrayList<>();
    private int vars;

    LinearProgram(Graph graph) { this.graph = graph; }

    /** Number of variables created so far. */
    int varCount() { return vars; }

    /** A fresh variable with no defining equation: a seed (the tangent of a wrt tensor). */
    Lin seed(Shape shape, DType dtype) { return new Lin(vars++, shape, dtype); }

    /**
     * Records {@code op(args)} and returns its variable. The shape is inferred by the op's own
     * rule, so that a wrong JVP rule fails here, at linearization, not in a later pass.
     */
    Lin emit(Op op, Object... args) {
        List<Shape> shapes = new ArrayList<>(args.length);
        List<DType> types = new ArrayList<>(args.length);
        for (Object a : args) {
            shapes.add(shapeOf(a));
            types.add(typeOf(a));
        }
        Lin out = new Lin(vars++, op.infer(shapes), op.type(types));
        eqns.add(new Eqn(op, args, out));
        return out;
    }

    static Shape shapeOf(Object arg) {
        return switch (arg) {
            case Lin l -> l.shape();
            case Tensor t -> t.shape();
            case Zero z -> z.shape();
            default -> throw new IllegalArgumentException("not a program argument: " + arg);
        };
    }

    static DType typeOf(Object arg) {
        return switch (arg) {
            case Lin l -> l.dtype();
            case Tensor t -> t.dtype();
            case Zero z -> z.dtype();
            default -> throw new IllegalArgumentException("not a program argument: " + arg);
        };
    }

    // ---- helpers for JVP rules: each propagates symbolic zeros (null) without recording ----

    /** {@code a + b}, either possibly zero. */
    Lin add(Lin a, Lin b) {
        if (a == null) return b;
        if (b == null) return a;
        return emit(new Binary(BinaryFn.ADD), a, b);
    }

    /** {@code a - b}, either possibly zero. */
    Lin sub(Lin a, Lin b) {
        if (b == null) return a;
        if (a == null) return neg(b);
        return emit(new Binary(BinaryFn.SUB), a, b);
    }

    /** {@code -a}. */
    Lin neg(Lin a) { return a == null ? null : emit(new Unary(UnaryFn.NEG), a); }

    /** {@code t * c} for a primal {@code c} of the same shape. */
    Lin mul(Lin t, Tensor c) { return t == null ? null : emit(new Binary(BinaryFn.MUL), t, c); }

    /** {@code t / c} for a primal {@code c} of the same shape. */
    Lin div(Lin t, Tensor c) { return t == null ? null : emit(new Binary(BinaryFn.DIV), t, c); }

    /** A one-operand linear op applied to {@code t}: zero in, zero out. */
    Lin apply(Op op, Lin t) { return t == null ? null : emit(op, t); }

    // ---- the two interpretations ----

    /**
     * Forward mode: emits every equation into the graph with each seed bound to its tangent and
     * returns the tensor of each requested variable (null for a symbolic zero).
     */
    Tensor[] forward(Lin[] seeds, Tensor[] tangents, Lin[] wanted) {
        Tensor[] value = new Tensor[vars];
        for (int i = 0; i < seeds.length; i++) if (seeds[i] != null) value[seeds[i].id()] = tangents[i];
        boolean[] live = liveBackwardFrom(wanted);
        for (Eqn e : eqns) {
            if (!live[e.out().id()]) continue;
            Tensor[] operands = new Tensor[e.args().length];
            for (int i = 0; i < operands.length; i++) {
                operands[i] = switch (e.args()[i]) {
                    case Lin l -> value[l.id()];
                    case Zero z -> JvpRules.zeros(graph, z.shape(), z.dtype());
                    case Object o -> (Tensor) o;
                };
            }
            value[e.out().id()] = graph.add(e.op(), operands);
        }
        Tensor[] out = new Tensor[wanted.length];
        for (int i = 0; i < wanted.length; i++) out[i] = wanted[i] == null ? null : value[wanted[i].id()];
        return out;
    }

    /** The variables the {@code wanted} ones depend on, so forward mode emits only those. */
    private boolean[] liveBackwardFrom(Lin[] wanted) {
        boolean[] live = new boolean[vars];
        for (Lin w : wanted) if (w != null) live[w.id()] = true;
        for (int k = eqns.size() - 1; k >= 0; k--) {
            Eqn e = eqns.get(k);
            if (!live[e.out().id()]) continue;
            for (Object a : e.args()) if (a instanceof Lin l) live[l.id()] = true;
        }
        return live;
    }

    /**
     * Reverse mode: binds each output variable's cotangent, walks the equations backwards calling
     * each one's transpose rule, accumulates (adds) the contributions that reach one variable from
     * several uses, and returns the cotangent of each seed (null for a symbolic zero).
     */
    Tensor[] transpose(Lin[] outputs, Tensor[] cotangents, Lin[] seeds) {
        Tensor[] ct = new Tensor[vars];
        for (int i = 0; i < outputs.length; i++) {
            if (outputs[i] != null && cotangents[i] != null) accumulate(ct, outputs[i], cotangents[i]);
        }
        for (int k = eqns.size() - 1; k >= 0; k--) {
            Eqn e = eqns.get(k);
            Tensor c = ct[e.out().id()];
            if (c == null) continue;
            ct[e.out().id()] = null; // no longer needed: lets a long program's cotangents be collected
            Tensor[] contributions = TransposeRules.transpose(e.op(), e.args(), c);
            for (int i = 0; i < contributions.length; i++) {
                if (contributions[i] != null && e.args()[i] instanceof Lin l) accumulate(ct, l, contributions[i]);
            }
        }
        Tensor[] out = new Tensor[seeds.length];
        for (int i = 0; i < seeds.length; i++) out[i] = seeds[i] == null ? null : ct[seeds[i].id()];
        return out;
    }

    private void accumulate(Tensor[] ct, Lin v, Tensor c) {
        if (!c.shape().equals(v.shape())) {
            throw new IllegalStateException("autodiff: cotangent of shape " + c.shape() + " for a value of shape "
                    + v.shape() + " (a transpose rule is wrong)");
        }
        Tensor prev = ct[v.id()];
        ct[v.id()] = prev == null ? c : graph.add(new Binary(BinaryFn.ADD), prev, c);
    }
}
