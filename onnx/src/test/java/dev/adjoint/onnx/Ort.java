package dev.adjoint.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helper: runs a ModelProto in ONNX Runtime (all graph optimizations) on NdArray feeds. */
final class Ort {
    private Ort() {}

    /** The model's outputs, in order, for feeds given in the model's input order. */
    static List<NdArray> run(ModelProto model, List<NdArray> feeds) throws OrtException {
        return run(model, feeds, 1);
    }

    static List<NdArray> run(ModelProto model, List<NdArray> feeds, int threads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            opts.setIntraOpNumThreads(threads);
            try (OrtSession session = env.createSession(model.toByteArray(), opts)) {
                Map<String, OnnxTensor> in = new LinkedHashMap<>();
                try {
                    List<ValueInfoProto> inputs = model.getGraph().getInputList();
                    for (int i = 0; i < inputs.size(); i++) in.put(inputs.get(i).getName(), tensor(env, feeds.get(i)));
                    try (OrtSession.Result r = session.run(in)) {
                        List<NdArray> out = new ArrayList<>();
                        for (Map.Entry<String, OnnxValue> e : r) out.add(array((OnnxTensor) e.getValue()));
                        return out;
                    }
                } finally {
                    for (OnnxTensor t : in.values()) t.close();
                }
            }
        }
    }

    static OnnxTensor tensor(OrtEnvironment env, NdArray a) throws OrtException {
        long[] shape = new long[a.shape().rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = a.shape().dim(i);
        double[] v = a.data();
        return switch (a.dtype()) {
            case F32 -> {
                FloatBuffer b = FloatBuffer.allocate(v.length);
                for (double d : v) b.put((float) d);
                yield OnnxTensor.createTensor(env, b.flip(), shape);
            }
            case F64 -> OnnxTensor.createTensor(env, DoubleBuffer.wrap(v.clone()), shape);
            case I32 -> {
                IntBuffer b = IntBuffer.allocate(v.length);
                for (double d : v) b.put((int) d);
                yield OnnxTensor.createTensor(env, b.flip(), shape);
            }
            case I64 -> {
                LongBuffer b = LongBuffer.allocate(v.length);
                for (double d : v) b.put((long) d);
                yield OnnxTensor.createTensor(env, b.flip(), shape);
            }
            case BOOL -> {
                ByteBuffer b = ByteBuffer.allocateDirect(v.length).order(ByteOrder.nativeOrder());
                for (double d : v) b.put((byte) (d != 0 ? 1 : 0));
                yield OnnxTensor.createTensor(env, b.flip(), shape, OnnxJavaType.BOOL);
            }
        };
    }

    static NdArray array(OnnxTensor t) {
        long[] s = t.getInfo().getShape();
        int[] dims = new int[s.length];
        for (int i = 0; i < s.length; i++) dims[i] = (int) s[i];
        Shape shape = Shape.of(dims);
        double[] v = new double[shape.size()];
        DType type;
        switch (t.getInfo().type) {
            case FLOAT -> {
                FloatBuffer b = t.getFloatBuffer();
                for (int i = 0; i < v.length; i++) v[i] = b.get(i);
                type = DType.F32;
            }
            case DOUBLE -> {
                DoubleBuffer b = t.getDoubleBuffer();
                for (int i = 0; i < v.length; i++) v[i] = b.get(i);
                type = DType.F64;
            }
            case INT32 -> {
                IntBuffer b = t.getIntBuffer();
                for (int i = 0; i < v.length; i++) v[i] = b.get(i);
                type = DType.I32;
            }
            case INT64 -> {
                LongBuffer b = t.getLongBuffer();
                for (int i = 0; i < v.length; i++) v[i] = b.get(i);
                type = DType.I64;
            }
            case BOOL -> {
                ByteBuffer b = t.getByteBuffer();
                for (int i = 0; i < v.length; i++) v[i] = b.get(i) != 0 ? 1 : 0;
                type = DType.BOOL;
            }
            default -> throw new IllegalArgumentException("unexpected ONNX Runtime output type " + t.getInfo().type);
        }
        return new NdArray(type, shape, v);
    }
}
