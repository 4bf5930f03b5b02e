package dev.adjoint.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Input;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real models of {@code tools/make_models.py} (torchvision classifiers, a transformer encoder,
 * an MLP with LayerNorm and GELU, a 1-D conv net), each three ways against torch's reference files:
 * imported and run on the executor with input gradients through autodiff ({@code onnx test --grad});
 * imported, exported and run in ONNX Runtime; and the gradient graph exported and run in ONNX
 * Runtime. Model tolerance: rtol 1e-3, atol 1e-4.
 */
class RealModelTest {
    static final OnnxBackendTests.Options OPTIONS = new OnnxBackendTests.Options(1e-3, 1e-4, true);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"transformer", "mlp_layernorm_gelu", "conv1d", "resnet18", "mobilenet_v2", "squeezenet1_1",
            "shufflenet_v2_x0_5", "efficientnet_b0", "densenet121"})
    void model(String name) throws Exception {
        Path dir = RealModels.dir(name);
        assumeTrue(dir != null, () -> name + " skipped: " + RealModels.whyUnavailable());
        long t0 = System.nanoTime();
        OnnxBackendTests.Result r = OnnxBackendTests.runOne(dir, new CpuExecutor(), OPTIONS);
        assertEquals(OnnxBackendTests.Status.PASSED, r.status(), r.line());
        long t1 = System.nanoTime();

        Path set = dir.resolve("test_data_set_0");
        List<NdArray> inputs = new ArrayList<>();
        for (int k = 0; Files.exists(set.resolve("input_" + k + ".pb")); k++) inputs.add(OnnxBackendTests.readTensor(set.resolve("input_" + k + ".pb")));
        OnnxModel m = Onnx.load(dir.resolve("model.onnx"), LoadOptions.defaults().withBatch(inputs.get(0).shape().dim(0)));
        Map<Tensor, NdArray> feeds = new LinkedHashMap<>();
        List<Tensor> in = new ArrayList<>(m.inputs().values());
        for (int k = 0; k < in.size(); k++) feeds.put(in.get(k), inputs.get(k));

        // Forward: import -> export -> ONNX Runtime, against torch and against Adjoint's executor.
        ModelProto exported = OnnxExporter.export(m.outputs());
        List<NdArray> ort = Ort.run(exported, ordered(exported, feeds));
        List<NdArray> adjoint = new CpuExecutor().run(new ArrayList<>(m.outputs().values()), feeds);
        for (int k = 0; k < ort.size(); k++) {
            NdArray torch = OnnxBackendTests.readTensor(set.resolve("output_" + k + ".pb"));
            assertClose(name + " output " + k + ", ONNX Runtime on the export vs torch", torch, ort.get(k));
            assertClose(name + " output " + k + ", ONNX Runtime on the export vs Adjoint", adjoint.get(k), ort.get(k));
        }
        long t2 = System.nanoTime();

        // Backward: the gradient of sum(output_0 * cotangent) as its own ONNX model, run in ONNX Runtime.
        Path cot = set.resolve("output_0_cotangent.pb");
        if (Files.exists(cot)) {
            NdArray c = OnnxBackendTests.readTensor(cot);
            Tensor out0 = m.outputs().values().iterator().next();
            Tensor loss = out0.mul(m.graph().constant(c.dtype(), c.shape(), c.data())).sum();
            List<Tensor> wrt = new ArrayList<>();
            List<Integer> which = new ArrayList<>();
            for (int k = 0; k < in.size(); k++) {
                if (in.get(k).dtype().isFloat() && Files.exists(set.resolve("input_" + k + "_grad.pb"))) {
                    wrt.add(in.get(k));
                    which.add(k);
                }
            }
            List<Tensor> grads = Autodiff.grad(loss, wrt);
            ModelProto g = OnnxExporter.export(grads);
            List<NdArray> got = Ort.run(g, ordered(g, feeds));
            for (int i = 0; i < grads.size(); i++) {
                NdArray want = OnnxBackendTests.readTensor(set.resolve("input_" + which.get(i) + "_grad.pb"));
                assertClose(name + " gradient of input " + which.get(i) + ", ONNX Runtime on the exported gradient graph vs torch", want, got.get(i));
            }
        }
        long t3 = System.nanoTime();
        System.out.printf("%s: executor + grad %.1f s, export + ORT %.1f s, gradient export + ORT %.1f s%n", name,
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
    }

    /**
     * O2 on the torchvision models: the structural verifier after every pass, and the O2 plan's
     * outputs against torch's reference outputs (the model tolerance), so the layout pass's NHWC
     * rewrite of every model is checked end to end.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"resnet18", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x0_5", "efficientnet_b0", "densenet121"})
    void modelUnderO2(String name) throws Exception {
        Path dir = RealModels.dir(name);
        assumeTrue(dir != null, () -> name + " skipped: " + RealModels.whyUnavailable());
        Path set = dir.resolve("test_data_set_0");
        OnnxModel m = Onnx.load(dir.resolve("model.onnx"), LoadOptions.defaults()
                .withBatch(OnnxBackendTests.readTensor(set.resolve("input_0.pb")).shape().dim(0)));
        dev.adjoint.graph.pass.Pipeline o2 = dev.adjoint.graph.pass.Pipeline.O2;
        o2.run(new ArrayList<>(m.outputs().values()), dev.adjoint.graph.pass.Pipeline.Options.fast().withVerify(true));
        // forward only: model() covers the gradients, and autodiff runs before any pipeline
        OnnxBackendTests.Result r = OnnxBackendTests.runOne(dir, new CpuExecutor(o2), new OnnxBackendTests.Options(1e-3, 1e-4, false));
        assertEquals(OnnxBackendTests.Status.PASSED, r.status(), "O2: " + r.line());
    }

    /** The feeds in the exported model's input order (its inputs are named by the graph inputs' labels). */
    static List<NdArray> ordered(ModelProto model, Map<Tensor, NdArray> feeds) {
        Map<String, NdArray> byLabel = new HashMap<>();
        for (var e : feeds.entrySet()) byLabel.put(((Input) e.getKey().op()).label(), e.getValue());
        List<NdArray> out = new ArrayList<>();
        for (ValueInfoProto vi : model.getGraph().getInputList()) out.add(byLabel.get(vi.getName()));
        return out;
    }

    private static void assertClose(String what, NdArray want, NdArray got) {
        String why = OnnxBackendTests.compare(want, got, OPTIONS);
        if (why != null) throw new AssertionError(what + ": " + why);
    }
}
