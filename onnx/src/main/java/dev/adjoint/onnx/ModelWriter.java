package dev.adjoint.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The growing ONNX graph of one export: fresh value names, nodes in order, initializers (small
 * helper constants are shared: the same shape vector is one initializer however many reshapes use
 * it). Knows nothing of Adjoint's ops; {@link OnnxExporter} decides what to emit.
 */
final class ModelWriter {
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> used = new HashSet<>();
    private final Map<String, String> shared = new HashMap<>();
    private int counter;
    /** The doc string given to the nodes emitted next: the Adjoint node they come from. */
    private String origin = "";

    GraphProto.Builder graph() { return graph; }

    /** Claims {@code name} exactly; false if it is taken. */
    boolean claim(String name) { return used.add(name); }

    /** A fresh value name starting with {@code stem}. */
    String fresh(String stem) {
        String name = stem;
        while (!used.add(name)) name = stem + "_" + (++counter);
        return name;
    }

    /** Sets the doc string (the Adjoint node and its call site) for the nodes emitted next. */
    void origin(String text) { origin = text; }

    /** Emits one node with one output and returns the output's name. */
    String node(String opType, List<String> inputs, AttributeProto... attributes) {
        String out = fresh(opType.toLowerCase(java.util.Locale.ROOT));
        node(opType, inputs, out, attributes);
        return out;
    }

    /** Emits one node writing the given output name (already claimed). */
    void node(String opType, List<String> inputs, String output, AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(output).addOutput(output);
        n.addAllInput(inputs);
        for (AttributeProto a : attributes) n.addAttribute(a);
        if (!origin.isEmpty()) n.setDocString(origin);
        graph.addNode(n);
    }

    /** Emits one node with two outputs (claimed names), such as MaxPool's values and indices. */
    void node2(String opType, List<String> inputs, String output0, String output1, AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(output0).addOutput(output0).addOutput(output1);
        n.addAllInput(inputs);
        for (AttributeProto a : attributes) n.addAttribute(a);
        if (!origin.isEmpty()) n.setDocString(origin);
        graph.addNode(n);
    }

    /** Adds an initializer with the given (claimed) name. */
    void initializer(String name, DType type, Shape shape, double[] values) {
        graph.addInitializer(tensor(name, type, shape, values));
    }

    /** A shared int64 vector initializer (shapes, axes, pads, slice bounds). */
    String int64s(long... values) {
        Shape shape = Shape.of(values.length);
        double[] v = new double[values.length];
        for (int i = 0; i < v.length; i++) v[i] = values[i];
        return sharedConstant("i64", DType.I64, shape, v, java.util.Arrays.toString(values), values);
    }

    /** A shared int64 scalar initializer (an axis for CumSum, a Range bound). */
    String int64Scalar(long value) {
        return sharedConstant("i64s", DType.I64, Shape.SCALAR, new double[] {value}, Long.toString(value), new long[] {value});
    }

    /** A shared scalar initializer of the given type. */
    String scalar(DType type, double value) {
        return sharedConstant("s" + type.label(), type, Shape.SCALAR, new double[] {value},
                Long.toHexString(Double.doubleToRawLongBits(value)), null);
    }

    private String sharedConstant(String kind, DType type, Shape shape, double[] values, String key, long[] exact) {
        String k = kind + ":" + key;
        String name = shared.get(k);
        if (name == null) {
            name = fresh("k" + shared.size());
            shared.put(k, name);
            graph.addInitializer(exact != null ? int64Tensor(name, shape, exact) : tensor(name, type, shape, values));
        }
        return name;
    }

    /** The value info of a tensor of the given type and static shape. */
    static ValueInfoProto valueInfo(String name, DType type, Shape shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : shape.dims()) s.addDimBuilder().setDimValue(d);
        TypeProto t = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType(type).getNumber()).setShape(s)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(t).build();
    }

    /** The ONNX element type of an Adjoint type. */
    static TensorProto.DataType elemType(DType type) {
        return switch (type) {
            case F32 -> TensorProto.DataType.FLOAT;
            case F64 -> TensorProto.DataType.DOUBLE;
            case I32 -> TensorProto.DataType.INT32;
            case I64 -> TensorProto.DataType.INT64;
            case BOOL -> TensorProto.DataType.BOOL;
        };
    }

    /** A TensorProto holding {@code values} (doubles, as Adjoint keeps every constant) in {@code type}, as raw little-endian data. */
    static TensorProto tensor(String name, DType type, Shape shape, double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (type) {
                case F32 -> b.putFloat((float) v);
                case F64 -> b.putDouble(v);
                case I32 -> b.putInt((int) v);
                case I64 -> b.putLong((long) v);
                case BOOL -> b.put((byte) (v != 0 ? 1 : 0));
            }
        }
        b.flip();
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(elemType(type).getNumber()).setRawData(ByteString.copyFrom(b));
        for (int d : shape.dims()) t.addDims(d);
        return t.build();
    }

    private static TensorProto int64Tensor(String name, Shape shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        b.flip();
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber()).setRawData(ByteString.copyFrom(b));
        for (int d : shape.dims()) t.addDims(d);
        return t.build();
    }

    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto attr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    static AttributeProto attr(String name, long[] values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) a.addInts(v);
        return a.build();
    }

    static AttributeProto attr(String name, int[] values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (int v : values) a.addInts(v);
        return a.build();
    }
}
