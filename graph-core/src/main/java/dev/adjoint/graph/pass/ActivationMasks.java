package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Comparison;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pass {@code activation-masks}: a comparison of a pre-activation that the activation's own
 * output answers as well reads the output instead. The gradient of {@code relu(x) = max(x, 0)}
 * is masked by {@code x > 0}; once the mask reads {@code max(x, 0) > 0} instead, nothing but the
 * relu reads {@code x}, so the executor can fold {@code dot -> add(bias) -> max(0)} whole into the
 * GEMM's epilogue in training graphs too, and {@code x} is never materialized.
 *
 * <p>Rewritten, for every {@code m = max(a, b)} or {@code max(b, a)} in the graph (and {@code min}
 * mirrored):
 * <ul>
 *   <li>{@code gt(a, b) -> gt(m, b)} and {@code lt(b, a) -> lt(b, m)};</li>
 *   <li>for {@code m = min(a, b)}: {@code lt(a, b) -> lt(m, b)} and {@code gt(b, a) -> gt(b, m)}.</li>
 * </ul>
 *
 * <p><b>Why the results are identical</b>, for every pair of values including NaN and signed
 * zeros, assuming only that {@code max} returns NaN or one of its operands, and the larger one when
 * both are ordered (Java's {@code Math.max}, IEEE 754-2019 maximum and maxNum all do; so does any
 * order of the operands):
 * <ul>
 *   <li>{@code a > b} (both ordered, a the larger): {@code m = a}, so {@code m > b} holds;</li>
 *   <li>{@code a <= b} (both ordered): {@code m} equals {@code b} numerically ({@code b}, or
 *       {@code a} when {@code a == b}, which for {@code -0.0} and {@code +0.0} compare equal), so
 *       {@code m > b} fails, as {@code a > b} does;</li>
 *   <li>{@code a} or {@code b} NaN: {@code a > b} fails; {@code m} is NaN (then {@code m > b}
 *       fails), or the non-NaN operand: {@code b > b} fails, and {@code a > NaN} fails.</li>
 * </ul>
 * For {@code min} the same argument runs with the order reversed. {@code ge} / {@code le} are not
 * rewritten: {@code max(a, b) >= b} holds where {@code a >= b} does not.
 *
 * <p>Only a {@code max} / {@code min} the graph already computes, and that comes before the
 * comparison, is used: the pass never adds an op. It moves the comparison later (after the
 * activation), which a scheduler sees as a dependency that was not there; the masks of a training
 * step are read only by the backward pass, long after.
 */
public final class ActivationMasks {
    private ActivationMasks() {}

    /** The pass. */
    public static final Pass PASS = Pass.of("activation-masks",
            "activation masks read the activation: gt(x, b) -> gt(max(x, b), b) where the max exists (relu's gradient mask), min mirrored",
            ActivationMasks::apply);

    private record Key(BinaryFn fn, int a, int b) {}

    static Rewritten apply(List<Tensor> outputs) {
        Graph src = outputs.get(0).graph();
        Map<Key, Integer> activations = new HashMap<>();
        for (Node n : src.nodes()) {
            if (n.op() instanceof Binary(BinaryFn fn) && (fn == BinaryFn.MAX || fn == BinaryFn.MIN)) {
                activations.putIfAbsent(new Key(fn, n.inputs().get(0), n.inputs().get(1)), n.id());
            }
        }
        if (activations.isEmpty()) return Rebuild.run(outputs, Rebuild.COPY);
        Tensor[] rebuilt = new Tensor[src.size()];
        return Rebuild.run(outputs, (dst, node, in) -> {
            Tensor out = rewrite(dst, node, in, activations, rebuilt);
            rebuilt[node.id()] = out;
            return out;
        });
    }

    private static Tensor rewrite(Graph dst, Node node, Tensor[] in, Map<Key, Integer> activations, Tensor[] rebuilt) {
        if (!(node.op() instanceof Compare(Comparison c)) || (c != Comparison.GT && c != Comparison.LT)) return dst.add(node.op(), in);
        int x = node.inputs().get(0), y = node.inputs().get(1);
        // gt(a, b): a is the activation's operand when max(a, b) exists; lt(b, a) likewise with the operands swapped.
        BinaryFn fn = c == Comparison.GT ? BinaryFn.MAX : BinaryFn.MIN;
        Tensor m = activation(fn, x, y, activations, rebuilt);
        if (m != null) return dst.add(node.op(), m, in[1]);
        // gt(b, a) with min(a, b): lt(a, b) mirrored; lt(b, a) with max(a, b).
        BinaryFn other = c == Comparison.GT ? BinaryFn.MIN : BinaryFn.MAX;
        m = activation(other, y, x, activations, rebuilt);
        if (m != null) return dst.add(node.op(), in[0], m);
        return dst.add(node.op(), in);
    }

    /** The rebuilt {@code fn(a, b)} or {@code fn(b, a)} if the graph has it before this point, else null. */
    private static Tensor activation(BinaryFn fn, int a, int b, Map<Key, Integer> activations, Tensor[] rebuilt) {
        Integer id = activations.get(new Key(fn, a, b));
        if (id == null) id = activations.get(new Key(fn, b, a));
        return id == null ? null : rebuilt[id];
    }
}
