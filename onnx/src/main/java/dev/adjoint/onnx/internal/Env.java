package dev.adjoint.onnx.internal;

import dev.adjoint.graph.Tensor;
import dev.adjoint.onnx.OnnxException;
import java.util.HashMap;
import java.util.Map;

/** The value environment: each ONNX value name bound to the tensor that computes it. */
final class Env {
    private final Map<String, Tensor> values = new HashMap<>();
    private final String source;

    Env(String source) { this.source = source; }

    void bind(String name, Tensor t) { values.put(name, t); }

    boolean has(String name) { return values.containsKey(name); }

    /** The tensor named {@code name}; the empty name (an omitted optional input) is null. */
    Tensor get(String name, NodeInfo user) {
        if (name.isEmpty()) return null;
        Tensor t = values.get(name);
        if (t == null) {
            String who = user == null ? "the graph outputs" : user.describe();
            throw new OnnxException("onnx: " + who + " reads value '" + name + "', which nothing in " + source
                    + " defines before it (the graph must be topologically sorted)", "a defined value " + name);
        }
        return t;
    }
}
