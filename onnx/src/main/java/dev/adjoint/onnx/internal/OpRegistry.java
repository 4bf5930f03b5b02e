package dev.adjoint.onnx.internal;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Every supported ONNX op, by op type, gathered from the op families. */
public final class OpRegistry {
    private static final Map<String, OpSpec> OPS;

    static {
        Map<String, OpSpec> m = new TreeMap<>();
        ElementwiseOps.register(m);
        ShapeOps.register(m);
        IndexOps.register(m);
        ReduceOps.register(m);
        NnOps.register(m);
        LossOps.register(m);
        ResizeOps.register(m);
        NdIndexOps.register(m);
        OPS = Collections.unmodifiableMap(m);
    }

    private OpRegistry() {}

    static OpSpec get(String opType) { return OPS.get(opType); }

    /** The supported op types, sorted (for the README table and the runner's report). */
    public static java.util.Set<String> opTypes() { return OPS.keySet(); }
}
