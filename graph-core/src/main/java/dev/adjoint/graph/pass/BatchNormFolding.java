package dev.adjoint.graph.pass;

import static dev.adjoint.graph.pass.Pattern.any;
import static dev.adjoint.graph.pass.Pattern.constant;
import static dev.adjoint.graph.pass.Pattern.op;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.DotGeneral;
import java.util.List;
import java.util.function.DoubleBinaryOperator;

/**
 * Batch-norm folding for inference graphs. {@code Nn.batchNormInference} builds
 * {@code (x - mean) * rsqrt(var + eps) * weight + bias} with per-channel parameters; when they are
 * constants (a saved model's parameters), {@code simplify} folds them to per-channel constants,
 * and these rules turn the chain after a convolution or linear layer with a constant kernel into
 * the layer with a rescaled kernel plus one bias add:
 * {@code x - k -> x + (-k)}, {@code (x + a) * s -> x * s + a * s}, {@code (x * s) * t -> x * (s t)},
 * {@code (x + a) + b -> x + (a + b)}, {@code conv(x, W) * s -> conv(x, W s)} (s over the output
 * channels), the same for {@code dot_general}. Run {@code layout} first so that NCHW graphs'
 * transposes are out of the way. The scales are reassociated: results agree to rounding.
 *
 * <p>Measure: each rule merges two per-channel constant ops into one, or moves one per-channel op
 * one step closer to the layer it folds into (a scale never moves away), so the run terminates.
 * The rules only fire on chains that end in such a layer, and never copy a node another reader needs.
 */
public final class BatchNormFolding {
    private BatchNormFolding() {}

    private static boolean is(Binary b, BinaryFn fn) { return b.fn() == fn; }

    /** Whether {@code x}, through per-channel adds and scales, is a conv or a linear layer with a constant kernel. */
    static boolean foldsIntoLayer(Tensor x) {
        for (int depth = 0; depth < 16; depth++) {
            if (x.op() instanceof Binary b && (is(b, BinaryFn.ADD) || is(b, BinaryFn.SUB) || is(b, BinaryFn.MUL))
                    && constant().matches(x.graph().tensor(x.node().inputs().get(1)))) {
                x = x.graph().tensor(x.node().inputs().get(0));
                continue;
            }
            return (x.op() instanceof Conv || x.op() instanceof DotGeneral d && linearAxis(d, x) >= 0)
                    && constant().matches(x.graph().tensor(x.node().inputs().get(1)));
        }
        return false;
    }

    /** The free axis of a linear layer's rank-2 kernel (its output's last axis), or -1. */
    static int linearAxis(DotGeneral d, Tensor dot) {
        Tensor w = dot.graph().tensor(dot.node().inputs().get(1));
        if (w.rank() != 2 || d.rhsBatch().size() != 0 || d.rhsContract().size() != 1) return -1;
        return 1 - d.rhsContract().get(0);
    }

    /** {@code a op b} for two per-channel constants of {@code shape}, or null if they vary along different axes. */
    private static Tensor combine(Graph g, Shape shape, dev.adjoint.graph.DType type, Consts.Channel a, Consts.Channel b,
            DoubleBinaryOperator op) {
        if (a.axis() >= 0 && b.axis() >= 0 && a.axis() != b.axis()) return null;
        int axis = Math.max(a.axis(), b.axis());
        int n = axis < 0 ? 1 : shape.dim(axis);
        double[] v = new double[n];
        for (int c = 0; c < n; c++) v[c] = op.applyAsDouble(a.at(c), b.at(c));
        return Consts.build(g, shape, type, axis, v);
    }

    /** {@code x - k -> x + (-k)} on a chain that folds. */
    public static final Rule<Binary> SUB_CHANNEL = Rule.of("sub-to-add", op(Binary.class, b -> is(b, BinaryFn.SUB), any(), constant()), m -> {
        if (!foldsIntoLayer(m.operand(0))) return null;
        Consts.Channel k = Consts.channel(m.operand(1));
        if (k == null) return null;
        double[] neg = k.values().clone();
        for (int i = 0; i < neg.length; i++) neg[i] = -neg[i];
        return m.operand(0).add(Consts.build(m.graph(), m.operand(1).shape(), m.operand(1).dtype(), k.axis(), neg));
    });

    /** {@code (x + a) + b -> x + (a + b)}. */
    public static final Rule<Binary> ADD_ADD = Rule.of("add-add", op(Binary.class, b -> is(b, BinaryFn.ADD),
            op(Binary.class, b -> is(b, BinaryFn.ADD), any(), constant()), constant()), m -> {
        if (!foldsIntoLayer(m.operand(0)) || !m.singleUse(m.operand(0))) return null;
        Consts.Channel a = Consts.channel(m.at(0, 1)), b = Consts.channel(m.operand(1));
        if (a == null || b == null) return null;
        Tensor sum = combine(m.graph(), m.operand(1).shape(), m.operand(1).dtype(), a, b, Double::sum);
        return sum == null ? null : m.at(0, 0).add(sum);
    });

    /** {@code (x * s) * t -> x * (s t)}. */
    public static final Rule<Binary> MUL_MUL = Rule.of("mul-mul", op(Binary.class, b -> is(b, BinaryFn.MUL),
            op(Binary.class, b -> is(b, BinaryFn.MUL), any(), constant()), constant()), m -> {
        if (!foldsIntoLayer(m.operand(0)) || !m.singleUse(m.operand(0))) return null;
        Consts.Channel a = Consts.channel(m.at(0, 1)), b = Consts.channel(m.operand(1));
        if (a == null || b == null) return null;
        Tensor prod = combine(m.graph(), m.operand(1).shape(), m.operand(1).dtype(), a, b, (x, y) -> x * y);
        return prod == null ? null : m.at(0, 0).mul(prod);
    });

    /** {@code (x + a) * s -> x * s + a * s}. */
    public static final Rule<Binary> MUL_OF_ADD = Rule.of("distribute-scale", op(Binary.class, b -> is(b, BinaryFn.MUL),
            op(Binary.class, b -> is(b, BinaryFn.ADD), any(), constant()), constant()), m -> {
        if (!foldsIntoLayer(m.operand(0)) || !m.singleUse(m.operand(0))) return null;
        Consts.Channel a = Consts.channel(m.at(0, 1)), s = Consts.channel(m.operand(1));
        if (a == null || s == null) return null;
        Tensor shift = combine(m.graph(), m.operand(1).shape(), m.operand(1).dtype(), a, s, (x, y) -> x * y);
        return shift == null ? null : m.at(0, 0).mul(m.operand(1)).add(shift);
    });

    /** {@code conv(x, W) * s -> conv(x, W s)} and {@code dot(x, W) * s -> dot(x, W s)}, s over the output channels. */
    public static final Rule<Binary> SCALE_KERNEL = Rule.of("scale-into-kernel", op(Binary.class, b -> is(b, BinaryFn.MUL), any(), constant()), m -> {
        Tensor layer = m.operand(0);
        if (!m.singleUse(layer)) return null; // the unscaled layer is needed anyway
        int kernelAxis;
        if (layer.op() instanceof Conv) {
            Tensor w = layer.graph().tensor(layer.node().inputs().get(1));
            kernelAxis = w.rank() - 1;
        } else if (layer.op() instanceof DotGeneral d && linearAxis(d, layer) >= 0) {
            kernelAxis = linearAxis(d, layer);
        } else {
            return null;
        }
        Tensor w = layer.graph().tensor(layer.node().inputs().get(1));
        if (!constant().matches(w)) return null;
        Consts.Channel s = Consts.channel(m.operand(1));
        if (s == null || s.axis() >= 0 && s.axis() != layer.rank() - 1) return null;
        NdArray wv = Consts.value(w);
        if (wv == null) return null;
        double[] v = wv.data().clone();
        int inner = 1;
        for (int a = kernelAxis + 1; a < w.rank(); a++) inner *= w.shape().dim(a);
        int n = w.shape().dim(kernelAxis);
        for (int i = 0; i < v.length; i++) v[i] *= s.at((i / inner) % n);
        Tensor scaled = m.graph().add(new Constant(w.shape(), w.dtype(), v));
        Tensor x = layer.graph().tensor(layer.node().inputs().get(0));
        return m.graph().add(layer.op(), x, scaled);
    });

    /** The rules, in order. */
    public static final List<Rule<?>> RULES = List.of(SCALE_KERNEL, SUB_CHANNEL, ADD_ADD, MUL_MUL, MUL_OF_ADD);

    /** Pass {@code fold-batch-norm}. */
    public static final RuleSet SET = RuleSet.of("fold-batch-norm", "inference batch norm (and following per-channel scale/shift) "
            + "folded into the preceding conv or linear layer's kernel and one bias add", RULES);
}
