package dev.adjoint.graph.pass;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Input;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks a pass's result, as XLA's {@code HloVerifier} does after every pass.
 *
 * <p>{@link #verify} (structure): every operand precedes its node (topological order), arities
 * hold, every node's recorded shape and type are what its op infers from its operands, nothing
 * dangles (every node is needed by an output, every input read is mapped from an original input
 * of the same name, type and shape), and every output keeps its shape and type.
 *
 * <p>{@link #verifyNumerics}: the reference interpreter runs both graphs on the same random
 * inputs and compares the outputs; on a difference it names the first node of the new graph
 * whose value appears nowhere in the old graph.
 */
public final class Verifier {
    private Verifier() {}

    /** Structural checks of {@code after} against the outputs it replaces; throws naming {@code pass}. */
    public static void verify(String pass, List<Tensor> before, Rewritten after) {
        Graph g = after.graph();
        if (after.outputs().size() != before.size()) {
            throw fail(pass, "has " + after.outputs().size() + " outputs instead of " + before.size());
        }
        for (Node n : g.nodes()) {
            int arity = n.op().arity();
            if (arity >= 0 ? n.inputs().size() != arity : n.inputs().size() < 1) {
                throw fail(pass, "node " + n + " has " + n.inputs().size() + " operands; " + n.op().name() + " takes " + arity);
            }
            List<Shape> shapes = new ArrayList<>();
            List<DType> types = new ArrayList<>();
            for (int k = 0; k < n.inputs().size(); k++) {
                int in = n.inputs().get(k);
                if (in < 0 || in >= n.id()) throw fail(pass, "node " + n + " reads %" + in + ", which does not precede it");
                shapes.add(g.node(in).shape());
                types.add(g.node(in).dtype());
            }
            Shape s;
            DType t;
            try {
                t = n.op().type(types);
                s = n.op().infer(shapes);
            } catch (RuntimeException e) {
                throw fail(pass, "node " + n + " breaks its op's rule: " + e.getMessage());
            }
            if (!s.equals(n.shape()) || t != n.dtype()) {
                throw fail(pass, "node " + n + " records " + n.dtype().label() + n.shape() + " but its op infers " + t.label() + s);
            }
        }
        boolean[] needed = Rebuild.needed(g, after.outputs());
        for (Node n : g.nodes()) {
            if (!needed[n.id()] && !(n.op() instanceof Input)) throw fail(pass, "node " + n + " dangles: no output needs it");
        }
        Map<Tensor, Tensor> reverse = new HashMap<>();
        after.inputs().forEach((orig, now) -> {
            if (now.graph() != g || !(now.op() instanceof Input in) || !(orig.op() instanceof Input o)) {
                throw fail(pass, "maps input " + orig + " to " + now + ", which is not an input of the new graph");
            }
            if (!in.label().equals(o.label()) || !now.shape().equals(orig.shape()) || now.dtype() != orig.dtype()) {
                throw fail(pass, "maps input " + o.label() + " to a different input " + now.node());
            }
            reverse.put(now, orig);
        });
        for (Node n : g.nodes()) {
            if (n.op() instanceof Input in && needed[n.id()] && !reverse.containsKey(g.tensor(n.id()))) {
                throw fail(pass, "reads input \"" + in.label() + "\" (" + n + ") that no original input maps to");
            }
        }
        for (int i = 0; i < before.size(); i++) {
            Tensor b = before.get(i), a = after.outputs().get(i);
            if (a.graph() != g) throw fail(pass, "output " + i + " belongs to another graph");
            if (!a.shape().equals(b.shape()) || a.dtype() != b.dtype()) {
                throw fail(pass, "output " + i + " changed from " + b.dtype().label() + b.shape() + " to " + a.dtype().label() + a.shape());
            }
        }
    }

    /**
     * Runs both graphs on random inputs (seeded) and compares; throws naming {@code pass} and the
     * first new node whose value the old graph does not have. Tolerance: {@code tol * (1 + |x|)}.
     */
    public static void verifyNumerics(String pass, List<Tensor> before, Rewritten after, long seed, double tol) {
        Graph old = before.get(0).graph();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<Tensor, NdArray> oldFeeds = new LinkedHashMap<>(), newFeeds = new LinkedHashMap<>();
        boolean[] needed = Rebuild.needed(old, before);
        for (Tensor in : old.inputs()) {
            if (!needed[in.id()]) continue;
            NdArray v = randomValue(rnd, in.dtype(), in.shape());
            oldFeeds.put(in, v);
            Tensor now = after.inputs().get(in);
            if (now != null) newFeeds.put(now, v);
        }
        List<NdArray> expected, actual;
        try {
            expected = Interpreter.run(old, oldFeeds, before);
        } catch (RuntimeException e) {
            return; // the random inputs are outside the graph's domain (e.g. an index out of range): nothing to compare
        }
        try {
            actual = Interpreter.run(after.graph(), newFeeds, after.outputs());
        } catch (RuntimeException e) {
            throw fail(pass, "made a graph the interpreter cannot run: " + e.getMessage());
        }
        for (int i = 0; i < expected.size(); i++) {
            int j = firstDifference(expected.get(i).data(), actual.get(i).data(), tol);
            if (j < 0) continue;
            String where = firstDifferingNode(old, oldFeeds, before, after.graph(), newFeeds, after.outputs(), tol);
            throw fail(pass, "changed output " + i + " at element " + j + ": " + expected.get(i).data()[j] + " became "
                    + actual.get(i).data()[j] + "; first differing node: " + where);
        }
    }

    private static int firstDifference(double[] e, double[] a, double tol) {
        if (e.length != a.length) return 0;
        for (int j = 0; j < e.length; j++) {
            if (Double.isNaN(e[j]) && Double.isNaN(a[j])) continue;
            if (e[j] == a[j]) continue; // equal infinities too
            if (!(Math.abs(e[j] - a[j]) <= tol * (1 + Math.abs(e[j])))) return j;
        }
        return -1;
    }

    /** The first node of the new graph whose value equals no value of the old graph (same shape). */
    private static String firstDifferingNode(Graph old, Map<Tensor, NdArray> oldFeeds, List<Tensor> oldOuts, Graph now,
            Map<Tensor, NdArray> newFeeds, List<Tensor> newOuts, double tol) {
        boolean[] oldNeeded = Rebuild.needed(old, oldOuts), newNeeded = Rebuild.needed(now, newOuts);
        List<Tensor> oldAll = new ArrayList<>(), newAll = new ArrayList<>();
        for (Node n : old.nodes()) if (oldNeeded[n.id()]) oldAll.add(old.tensor(n.id()));
        for (Node n : now.nodes()) if (newNeeded[n.id()]) newAll.add(now.tensor(n.id()));
        List<NdArray> ov = Interpreter.run(old, oldFeeds, oldAll), nv = Interpreter.run(now, newFeeds, newAll);
        Map<Shape, List<NdArray>> byShape = new HashMap<>();
        for (NdArray v : ov) byShape.computeIfAbsent(v.shape(), k -> new ArrayList<>()).add(v);
        for (int i = 0; i < newAll.size(); i++) {
            NdArray v = nv.get(i);
            boolean found = false;
            for (NdArray o : byShape.getOrDefault(v.shape(), List.of())) {
                if (firstDifference(o.data(), v.data(), tol) < 0) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                Node n = newAll.get(i).node();
                return n + " (from the node built at " + n.where() + ")";
            }
        }
        return "none found (the outputs differ only in combination)";
    }

    /** Random values for a fed input: floats uniform in [-1, 1), integers in [0, 3), bools 0/1. */
    static NdArray randomValue(SplittableRandom rnd, DType type, Shape shape) {
        double[] v = new double[shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (type) {
                case F32, F64 -> rnd.nextDouble(-1, 1);
                case I32, I64 -> rnd.nextInt(3);
                case BOOL -> rnd.nextInt(2);
            };
        }
        return new NdArray(type, shape, v);
    }

    private static VerificationException fail(String pass, String what) {
        return new VerificationException("pass " + pass + " " + what);
    }
}
