package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The Reduce* family. Axes are an attribute before opset 13 (ReduceSum) / 18 (the rest), then an input. */
final class ReduceOps {
    private ReduceOps() {}

    private interface Reducer {
        Tensor apply(Tensor x, int[] axes, boolean keep);
    }

    static void register(Map<String, OpSpec> m) {
        reduce(m, "ReduceSum", 13, (x, a, k) -> x.sum(a, k));
        reduce(m, "ReduceMean", 18, (x, a, k) -> x.mean(a, k));
        reduce(m, "ReduceMax", 18, (x, a, k) -> x.reduceMax(a, k));
        reduce(m, "ReduceMin", 18, (x, a, k) -> x.reduceMin(a, k));
        reduce(m, "ReduceProd", 18, (x, a, k) -> x.prod(a, k));
        reduce(m, "ReduceL1", 18, (x, a, k) -> x.abs().sum(a, k));
        reduce(m, "ReduceL2", 18, (x, a, k) -> x.square().sum(a, k).sqrt());
        reduce(m, "ReduceSumSquare", 18, (x, a, k) -> x.square().sum(a, k));
        reduce(m, "ReduceLogSum", 18, (x, a, k) -> x.sum(a, k).log());
        reduce(m, "ReduceLogSumExp", 18, (x, a, k) -> Nn.logSumExp(x, a, k));
    }

    private static void reduce(Map<String, OpSpec> m, String op, long axesInputFrom, Reducer f) {
        m.put(op, new OpSpec(op, Set.of("axes", "keepdims", "noop_with_empty_axes"), Importer.MIN_OPSET, Importer.MAX_OPSET, c -> {
            Tensor x = c.in(0);
            c.requireType(x, "the input", DType.F32, DType.F64, DType.I32, DType.I64);
            boolean keep = c.attrs.i("keepdims", 1) == 1;
            long[] axes = c.opset() >= axesInputFrom ? (c.has(1) ? c.longs(1, "axes") : null) : c.attrs.ints("axes");
            if (axes == null || axes.length == 0) {
                if (c.attrs.i("noop_with_empty_axes", 0) == 1) return List.of(x);
                axes = new long[x.rank()];
                for (int i = 0; i < axes.length; i++) axes[i] = i;
            }
            int[] a = new int[axes.length];
            for (int i = 0; i < a.length; i++) a[i] = c.axis(axes[i], x.rank(), "axes");
            if (x.rank() == 0) return List.of(x);
            return List.of(f.apply(x, a, keep));
        }));
    }
}
