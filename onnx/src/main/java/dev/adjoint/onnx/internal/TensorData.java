package dev.adjoint.onnx.internal;

import ai.onnx.proto.OnnxMl;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.onnx.OnnxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** TensorProto values and ONNX element types as Adjoint's {@link NdArray} and {@link DType}. */
public final class TensorData {
    private TensorData() {}

    /** ONNX's TensorProto.DataType numbers. */
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, STRING = 8, BOOL = 9,
            FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, BFLOAT16 = 16;

    /** The ONNX name of an element type number, for messages. */
    public static String typeName(int t) {
        return switch (t) {
            case FLOAT -> "float"; case UINT8 -> "uint8"; case INT8 -> "int8"; case UINT16 -> "uint16";
            case INT16 -> "int16"; case INT32 -> "int32"; case INT64 -> "int64"; case STRING -> "string";
            case BOOL -> "bool"; case FLOAT16 -> "float16"; case DOUBLE -> "double"; case UINT32 -> "uint32";
            case UINT64 -> "uint64"; case BFLOAT16 -> "bfloat16"; default -> "type " + t;
        };
    }

    /** The Adjoint type of ONNX element type {@code t}, or null when there is none. */
    public static DType dtypeOrNull(int t) {
        return switch (t) {
            case FLOAT -> DType.F32; case DOUBLE -> DType.F64; case INT32 -> DType.I32; case INT64 -> DType.I64;
            case BOOL -> DType.BOOL; default -> null;
        };
    }

    /** The Adjoint type of ONNX element type {@code t}; {@code where} names the value in the error. */
    public static DType dtype(int t, String where) {
        DType d = dtypeOrNull(t);
        if (d == null) {
            throw new OnnxException("onnx: " + where + " has element type " + typeName(t)
                    + ", which Adjoint lacks (it has float, double, int32, int64, bool)", "type " + typeName(t));
        }
        return d;
    }

    /** The ONNX element type number of an Adjoint type. */
    public static int onnxType(DType d) {
        return switch (d) { case F32 -> FLOAT; case F64 -> DOUBLE; case I32 -> INT32; case I64 -> INT64; case BOOL -> BOOL; };
    }

    /** The shape of {@code t}; a dimension beyond int range is an error. */
    public static Shape shape(OnnxMl.TensorProto t, String where) {
        int[] dims = new int[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw new OnnxException("onnx: " + where + " has dimension " + d, "dimension " + d);
            dims[i] = (int) d;
        }
        return Shape.of(dims);
    }

    /**
     * The values of {@code t}. int64 values beyond +-2^53 (which the graph's constants cannot hold
     * exactly) are clamped there: exporters use INT64_MAX/MIN only as "to the end" sentinels
     * (Slice ends), which clamping keeps.
     */
    public static NdArray read(OnnxMl.TensorProto t, String where) {
        if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
            throw new OnnxException("onnx: " + where + " keeps its data in an external file, which the importer does not read",
                    "external data");
        }
        DType d = dtype(t.getDataType(), where);
        Shape s = shape(t, where);
        int n = s.size();
        double[] v = new double[n];
        boolean raw = !t.getRawData().isEmpty();
        ByteBuffer b = raw ? t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN) : null;
        int have;
        switch (t.getDataType()) {
            case FLOAT -> {
                have = raw ? b.remaining() / 4 : t.getFloatDataCount();
                for (int i = 0; i < Math.min(n, have); i++) v[i] = raw ? b.getFloat(4 * i) : t.getFloatData(i);
            }
            case DOUBLE -> {
                have = raw ? b.remaining() / 8 : t.getDoubleDataCount();
                for (int i = 0; i < Math.min(n, have); i++) v[i] = raw ? b.getDouble(8 * i) : t.getDoubleData(i);
            }
            case INT32 -> {
                have = raw ? b.remaining() / 4 : t.getInt32DataCount();
                for (int i = 0; i < Math.min(n, have); i++) v[i] = raw ? b.getInt(4 * i) : t.getInt32Data(i);
            }
            case INT64 -> {
                have = raw ? b.remaining() / 8 : t.getInt64DataCount();
                for (int i = 0; i < Math.min(n, have); i++) v[i] = clamp(raw ? b.getLong(8 * i) : t.getInt64Data(i));
            }
            case BOOL -> {
                have = raw ? b.remaining() : t.getInt32DataCount();
                for (int i = 0; i < Math.min(n, have); i++) v[i] = (raw ? b.get(i) : t.getInt32Data(i)) != 0 ? 1 : 0;
            }
            default -> throw new IllegalStateException();
        }
        if (have != n) {
            throw new OnnxException("onnx: " + where + " has " + have + " values for its shape " + s + " (" + n + ")", "well-formed tensor");
        }
        return new NdArray(d, s, v);
    }

    static double clamp(long x) {
        double m = Constant.MAX_EXACT_INTEGER;
        return x > m ? m : x < -m ? -m : (double) x;
    }

    /** {@code a} as a TensorProto (for writing reference files and the exporter). */
    public static OnnxMl.TensorProto write(NdArray a, String name) {
        OnnxMl.TensorProto.Builder b = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(onnxType(a.dtype()));
        for (int d : a.shape().dims()) b.addDims(d);
        double[] v = a.data();
        switch (a.dtype()) {
            case F32 -> { for (double x : v) b.addFloatData((float) x); }
            case F64 -> { for (double x : v) b.addDoubleData(x); }
            case I32 -> { for (double x : v) b.addInt32Data((int) x); }
            case I64 -> { for (double x : v) b.addInt64Data((long) x); }
            case BOOL -> { for (double x : v) b.addInt32Data(x != 0 ? 1 : 0); }
        }
        return b.build();
    }
}
