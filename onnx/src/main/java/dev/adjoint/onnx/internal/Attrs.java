package dev.adjoint.onnx.internal;

import ai.onnx.proto.OnnxMl;
import dev.adjoint.onnx.OnnxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A node's attributes by name, with typed getters whose errors name the node, op, attribute and opset. */
final class Attrs {
    private final Map<String, OnnxMl.AttributeProto> byName = new LinkedHashMap<>();
    private final NodeInfo node;

    Attrs(OnnxMl.NodeProto proto, NodeInfo node) {
        this.node = node;
        for (OnnxMl.AttributeProto a : proto.getAttributeList()) {
            if (!a.getRefAttrName().isEmpty()) {
                throw node.unsupported("attribute " + a.getName() + " refers to a function attribute", "attribute reference");
            }
            byName.put(a.getName(), a);
        }
    }

    boolean has(String name) { return byName.containsKey(name); }

    /** Every attribute present must be one the mapper understands: an unknown one is an error, never ignored. */
    void requireOnly(Set<String> known) {
        for (String n : byName.keySet()) {
            if (!known.contains(n)) throw node.unsupported("attribute " + n + " is not supported", "attribute " + node.opType() + "." + n);
        }
    }

    long i(String name, long def) {
        OnnxMl.AttributeProto a = byName.get(name);
        return a == null ? def : a.getI();
    }

    double f(String name, double def) {
        OnnxMl.AttributeProto a = byName.get(name);
        return a == null ? def : a.getF();
    }

    String s(String name, String def) {
        OnnxMl.AttributeProto a = byName.get(name);
        return a == null ? def : a.getS().toStringUtf8();
    }

    /** The ints attribute, or null when absent. */
    long[] ints(String name) {
        OnnxMl.AttributeProto a = byName.get(name);
        if (a == null) return null;
        long[] v = new long[a.getIntsCount()];
        for (int k = 0; k < v.length; k++) v[k] = a.getInts(k);
        return v;
    }

    /** The floats attribute, or null when absent. */
    float[] floats(String name) {
        OnnxMl.AttributeProto a = byName.get(name);
        if (a == null) return null;
        float[] v = new float[a.getFloatsCount()];
        for (int k = 0; k < v.length; k++) v[k] = a.getFloats(k);
        return v;
    }

    OnnxMl.TensorProto tensor(String name) {
        OnnxMl.AttributeProto a = byName.get(name);
        return a == null ? null : a.getT();
    }

    OnnxMl.AttributeProto raw(String name) { return byName.get(name); }

    /** An error for attribute {@code name} whose value {@code value} is not supported. */
    OnnxException badValue(String name, Object value) {
        return node.unsupported("attribute " + name + " = " + value + " is not supported", node.opType() + "." + name + "=" + value);
    }
}
