package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The loss ops: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (class axis 1, optional weights, ignore_index). */
final class LossOps {
    private LossOps() {}

    static void register(Map<String, OpSpec> m) {
        m.put("NegativeLogLikelihoodLoss", new OpSpec("NegativeLogLikelihoodLoss", Set.of("ignore_index", "reduction"),
                Importer.MIN_OPSET, Importer.MAX_OPSET, c -> List.of(nll(c, ElementwiseOps.floatIn(c, 0)))));
        m.put("SoftmaxCrossEntropyLoss", new OpSpec("SoftmaxCrossEntropyLoss", Set.of("ignore_index", "reduction"),
                Importer.MIN_OPSET, Importer.MAX_OPSET, c -> {
                    Tensor logp = Nn.logSoftmax(ElementwiseOps.floatIn(c, 0), 1);
                    List<Tensor> out = new ArrayList<>();
                    out.add(nll(c, logp));
                    out.add(logp);
                    return out;
                }));
    }

    /** ONNX NLL: {@code loss[n, d..] = -x[n, t[n, d..], d..] * w[t]}; mean divides by the sum of the weights used. */
    private static Tensor nll(Ctx c, Tensor x) {
        Tensor t = c.in(1);
        c.requireType(t, "the target", DType.I32, DType.I64);
        boolean ignore = c.attrs.has("ignore_index");
        Tensor ign = ignore ? t.eq((double) c.attrs.i("ignore_index", 0)) : null;
        Tensor safe = ignore ? Tensor.where(ign, c.g.constant(0, t.dtype()), t) : t;
        Tensor picked = x.takeAlongAxis(safe.unsqueeze(1), 1).squeeze(1);
        Tensor w = c.has(2) ? c.in(2).gather(safe, 0) : c.g.fill(1.0, x.dtype(), picked.shape().dims());
        if (ignore) w = Tensor.where(ign, c.g.constant(0, x.dtype()), w);
        Tensor loss = picked.mul(w).neg();
        String red = c.attrs.s("reduction", "mean");
        return switch (red) {
            case "none" -> loss;
            case "sum" -> loss.sum();
            case "mean" -> loss.sum().div(w.sum());
            default -> throw c.attrs.badValue("reduction", red);
        };
    }
}
