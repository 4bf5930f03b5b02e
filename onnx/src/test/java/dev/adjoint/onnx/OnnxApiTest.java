package dev.adjoint.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Onnx.load on small models built here with the protobuf builders: options, folding, errors, the runner's verdicts. */
class OnnxApiTest {
    static ValueInfoProto value(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof Integer i) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(i));
            else s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam((String) d));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }

    static TensorProto floats(String name, int[] dims, float... v) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(1);
        for (int d : dims) b.addDims(d);
        for (float x : v) b.addFloatData(x);
        return b.build();
    }

    static TensorProto longs(String name, int[] dims, long... v) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(7);
        for (int d : dims) b.addDims(d);
        for (long x : v) b.addInt64Data(x);
        return b.build();
    }

    static NodeProto node(String name, String op, List<String> in, List<String> out, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(in).addAllOutput(out);
        for (AttributeProto a : attrs) b.addAttribute(a);
        return b.build();
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static byte[] model(long opset, GraphProto g) {
        return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(opset))
                .setGraph(g).build().toByteArray();
    }

    /** y = relu(x W + b), x [batch, 3], W [3, 2], b [2]. */
    static byte[] mlp(long opset) {
        GraphProto g = GraphProto.newBuilder().setName("mlp")
                .addInput(value("x", 1, "batch", 3)).addOutput(value("y", 1, "batch", 2))
                .addInitializer(floats("W", new int[] {3, 2}, 1, -1, 2, 0.5f, -3, 1))
                .addInitializer(floats("b", new int[] {2}, 0.25f, -0.5f))
                .addNode(node("gemm", "Gemm", List.of("x", "W", "b"), List.of("h")))
                .addNode(node("act", "Relu", List.of("h"), List.of("y"))).build();
        return model(opset, g);
    }

    static final float[] X = {1, 2, 3, -1, 0.5f, 2};

    /** The MLP by hand. */
    static double[] mlpByHand(float[] x) {
        double[] w = {1, -1, 2, 0.5, -3, 1}, b = {0.25, -0.5};
        int n = x.length / 3;
        double[] y = new double[n * 2];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 2; j++) {
                double s = b[j];
                for (int k = 0; k < 3; k++) s += x[i * 3 + k] * w[k * 2 + j];
                y[i * 2 + j] = Math.max(s, 0);
            }
        }
        return y;
    }

    @Test void symbolicBatchTakesTheGivenSize() {
        OnnxModel m = Onnx.load(mlp(13), "mlp", LoadOptions.defaults().withBatch(2));
        assertEquals(Shape.of(2, 3), m.input("x").shape());
        assertEquals(Shape.of(2, 2), m.output("y").shape());
        OnnxModel m5 = Onnx.load(mlp(17), "mlp", LoadOptions.defaults().withDim("batch", 5));
        assertEquals(Shape.of(5, 3), m5.input("x").shape());
        OnnxException e = assertThrows(OnnxException.class, () -> Onnx.load(mlp(13), "mlp", LoadOptions.defaults()));
        assertTrue(e.getMessage().contains("'batch'") && e.getMessage().contains("withDim"), e.getMessage());
    }

    @Test void runsOnTheExecutorLikeTheHandComputation() {
        OnnxModel m = Onnx.load(mlp(13), "mlp", LoadOptions.defaults().withBatch(2));
        NdArray x = new NdArray(DType.F32, Shape.of(2, 3), toDoubles(X));
        NdArray y = new CpuExecutor().run(List.of(m.output("y")), Map.of(m.input("x"), x)).get(0);
        assertArrayEquals(mlpByHand(X), y.data(), 1e-6);
    }

    @Test void initializersBecomeNamedParametersWithTheirValues() {
        OnnxModel m = Onnx.load(mlp(13), "mlp", LoadOptions.defaults().withBatch(2).withParameters(true));
        assertEquals(List.of("W", "b"), List.copyOf(m.parameters().keySet()));
        OnnxModel.Parameter w = m.parameters().get("W");
        assertEquals("W", ((dev.adjoint.graph.op.Input) w.tensor().op()).label());
        assertArrayEquals(new double[] {1, -1, 2, 0.5, -3, 1}, w.initial().data(), 0);
        assertEquals(List.of("x"), List.copyOf(m.inputs().keySet()));
        // As constants there are no parameters.
        assertTrue(Onnx.load(mlp(13), "mlp", LoadOptions.defaults().withBatch(2)).parameters().isEmpty());
    }

    @Test void shapeSubgraphsFoldAtImport() {
        // reshape(x, concat(unsqueeze(gather(shape(x), 0)), [-1])): [2, 3, 4] -> [2, 12], all folded.
        GraphProto g = GraphProto.newBuilder().setName("fold")
                .addInput(value("x", 1, 2, 3, 4)).addOutput(value("y", 1, 2, 12))
                .addInitializer(longs("zero", new int[0], 0)).addInitializer(longs("axes", new int[] {1}, 0))
                .addInitializer(longs("minus1", new int[] {1}, -1))
                .addNode(node("s", "Shape", List.of("x"), List.of("shape")))
                .addNode(node("g", "Gather", List.of("shape", "zero"), List.of("n")))
                .addNode(node("u", "Unsqueeze", List.of("n", "axes"), List.of("n1")))
                .addNode(node("c", "Concat", List.of("n1", "minus1"), List.of("target"), intAttr("axis", 0)))
                .addNode(node("r", "Reshape", List.of("x", "target"), List.of("y"))).build();
        OnnxModel m = Onnx.load(model(13, g), "fold", LoadOptions.defaults());
        Tensor y = m.output("y");
        assertEquals(Shape.of(2, 12), y.shape());
        assertFalse(y.op() instanceof Constant);
    }

    @Test void negativeGatherIndicesCountFromTheEnd() {
        GraphProto g = GraphProto.newBuilder().setName("gather")
                .addInput(value("x", 1, 4)).addInput(value("i", 7, 3)).addOutput(value("y", 1, 3))
                .addNode(node("g", "Gather", List.of("x", "i"), List.of("y"), intAttr("axis", 0))).build();
        OnnxModel m = Onnx.load(model(13, g), "gather", LoadOptions.defaults());
        NdArray y = new CpuExecutor().run(List.of(m.output("y")), Map.of(
                m.input("x"), new NdArray(DType.F32, Shape.of(4), new double[] {10, 20, 30, 40}),
                m.input("i"), new NdArray(DType.I64, Shape.of(3), new double[] {-1, 0, -4}))).get(0);
        assertArrayEquals(new double[] {40, 10, 10}, y.data(), 0);
    }

    @Test void unsupportedOpAttributeAndOpsetAreNamed() {
        GraphProto loop = GraphProto.newBuilder().setName("g").addInput(value("x", 1, 2)).addOutput(value("y", 1, 2))
                .addNode(node("my_loop", "Loop", List.of("x"), List.of("y"))).build();
        OnnxException e = assertThrows(OnnxException.class, () -> Onnx.load(model(13, loop), "loop.onnx", LoadOptions.defaults()));
        assertTrue(e.getMessage().contains("node 'my_loop' (op Loop, opset 13) in loop.onnx"), e.getMessage());
        assertEquals("op Loop", e.missing());

        GraphProto attr = GraphProto.newBuilder().setName("g").addInput(value("x", 1, 2)).addOutput(value("y", 1, 2))
                .addNode(node("soft", "Softmax", List.of("x"), List.of("y"), intAttr("frobnicate", 1))).build();
        e = assertThrows(OnnxException.class, () -> Onnx.load(model(13, attr), "attr.onnx", LoadOptions.defaults()));
        assertTrue(e.getMessage().contains("attribute frobnicate") && e.getMessage().contains("op Softmax"), e.getMessage());

        e = assertThrows(OnnxException.class, () -> Onnx.load(mlp(18), "new.onnx", LoadOptions.defaults().withBatch(1)));
        assertTrue(e.getMessage().contains("opset 18"), e.getMessage());
    }

    @Test void runnerPassesFailsAndChecksGradients(@TempDir Path dir) throws IOException {
        Path t = dir.resolve("test_mlp");
        Path set = t.resolve("test_data_set_0");
        Files.createDirectories(set);
        Files.write(t.resolve("model.onnx"), mlp(13));
        write(set.resolve("input_0.pb"), floats("x", new int[] {2, 3}, X));
        double[] y = mlpByHand(X);
        write(set.resolve("output_0.pb"), floats("y", new int[] {2, 2}, toFloats(y)));
        // d/dx sum(y * cot) = (cot * [y > 0]) W^T.
        float[] cot = {1, 2, -1, 0.5f};
        double[] w = {1, -1, 2, 0.5, -3, 1};
        float[] dx = new float[6];
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 3; k++) {
                double s = 0;
                for (int j = 0; j < 2; j++) s += (y[i * 2 + j] > 0 ? cot[i * 2 + j] : 0) * w[k * 2 + j];
                dx[i * 3 + k] = (float) s;
            }
        }
        write(set.resolve("output_0_cotangent.pb"), floats("c", new int[] {2, 2}, cot));
        write(set.resolve("input_0_grad.pb"), floats("g", new int[] {2, 3}, dx));
        OnnxBackendTests.Options grad = OnnxBackendTests.Options.defaults().withGrad(true);
        assertEquals(OnnxBackendTests.Status.PASSED, OnnxBackendTests.runOne(t, new CpuExecutor(), grad).status());

        dx[4] += 0.5f;
        write(set.resolve("input_0_grad.pb"), floats("g", new int[] {2, 3}, dx));
        OnnxBackendTests.Result r = OnnxBackendTests.runOne(t, new CpuExecutor(), grad);
        assertEquals(OnnxBackendTests.Status.FAILED, r.status(), r.line());
        assertTrue(r.detail().contains("gradient"), r.detail());
        // Without --grad the forward check alone passes.
        assertEquals(OnnxBackendTests.Status.PASSED, OnnxBackendTests.runOne(t, new CpuExecutor(), OnnxBackendTests.Options.defaults()).status());

        float[] wrong = toFloats(y);
        wrong[1] += 1e-2f;
        write(set.resolve("output_0.pb"), floats("y", new int[] {2, 2}, wrong));
        r = OnnxBackendTests.runOne(t, new CpuExecutor(), OnnxBackendTests.Options.defaults());
        assertEquals(OnnxBackendTests.Status.FAILED, r.status());
        assertEquals("onnx: 0 passed, 1 failed, 0 unsupported", OnnxBackendTests.summary(List.of(r)));
    }

    static void write(Path f, TensorProto t) throws IOException { Files.write(f, t.toByteArray()); }

    static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
