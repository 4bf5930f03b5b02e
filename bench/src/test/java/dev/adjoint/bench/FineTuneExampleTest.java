package dev.adjoint.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.bench.data.Data;
import dev.adjoint.bench.data.Dataset;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.onnx.LoadOptions;
import dev.adjoint.onnx.Onnx;
import dev.adjoint.onnx.OnnxModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The README's fine-tuning example: a ResNet-18 exported from torchvision ({@code onnx/tools/make_models.py};
 * the onnx module's tests generate it into {@code onnx/target/models}), imported with its weights as
 * trainable parameters, its 1000-class head replaced by a fresh 10-class one, and trained for a few
 * SGD steps on a batch of Fashion-MNIST images (28x28 gray, resized to 64x64 and repeated over 3
 * channels). The loss goes down at every step.
 */
class FineTuneExampleTest {
    static final Path RESNET = Path.of("../onnx/target/models/resnet18/model.onnx");

    @Test
    void fineTuneResNet18OnFashionMnist() throws Exception {
        assumeTrue(Files.exists(RESNET), RESNET + " is missing: the onnx module's tests generate it (needs python3-torch, torchvision, onnx)");
        Dataset data = Data.load(Data.SAMPLE, false, new PrintWriter(new StringWriter())).train();
        int batch = 8, steps = 4;

        // --- README: fine-tuning an imported ResNet-18 ---
        OnnxModel m = Onnx.load(RESNET, LoadOptions.defaults().withBatch(batch).withParameters(true));
        Graph g = m.graph();
        Tensor images = m.input("input");                                  // f32[8, 3, 64, 64]
        Tensor features = headInput(m.output("output"));                   // f32[8, 512], what torchvision's fc reads
        Tensor w = g.input("head.w", 512, 10), b = g.input("head.b", 10);  // the new head
        Tensor labels = g.input("labels", DType.I32, batch);
        Tensor loss = Nn.crossEntropy(Nn.linear(features, w, b), labels);

        List<Tensor> params = new ArrayList<>(List.of(w, b));              // the head, and every weight the features use
        Map<Tensor, float[]> values = new HashMap<>();
        for (OnnxModel.Parameter p : m.parameters().values()) {
            if (dependsOn(features, p.tensor())) {
                params.add(p.tensor());
                values.put(p.tensor(), toFloats(p.initial().data()));
            }
        }
        values.put(w, randomFloats(512 * 10, 1 / Math.sqrt(512), 7));
        values.put(b, new float[10]);
        List<Tensor> grads = Autodiff.grad(loss, params);
        List<Tensor> outputs = new ArrayList<>(List.of(loss));
        for (int i = 0; i < params.size(); i++) {                            // SGD: lr 0.003 for the head, 0.0003 for the body
            outputs.add(params.get(i).sub(grads.get(i).mul(i < 2 ? 0.003 : 0.0003)));
        }
        Plan step = Cpu.compile(outputs);

        float[] x = new float[batch * 3 * 64 * 64];
        int[] y = new int[batch];
        fashionBatch(data, 0, batch, x, y);                                  // 8 Fashion-MNIST images and labels
        List<Double> losses = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            Map<Tensor, Object> feeds = new HashMap<>(values);
            feeds.put(images, x);
            feeds.put(labels, y);
            step.run(feeds);
            losses.add((double) step.output(0)[0]);
            for (int i = 0; i < params.size(); i++) values.put(params.get(i), step.output(1 + i).clone());
        }
        // --- end of the README snippet ---

        System.out.println("fine-tuning ResNet-18 on Fashion-MNIST, loss per step: " + losses);
        for (int s = 1; s < steps; s++) assertTrue(losses.get(s) < losses.get(s - 1), "the loss should fall at every step: " + losses);
    }

    /** The operand of the last matrix product before {@code logits}: the input of the classifier head. */
    static Tensor headInput(Tensor logits) {
        Graph g = logits.graph();
        ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(logits.id()));
        int best = -1;
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        while (!todo.isEmpty()) {
            int id = todo.pop();
            if (!seen.add(id)) continue;
            if (g.node(id).op() instanceof DotGeneral) best = Math.max(best, id);
            else for (int i = 0; i < g.node(id).inputs().size(); i++) todo.push(g.node(id).inputs().get(i));
        }
        if (best < 0) throw new IllegalArgumentException("no matrix product before " + logits);
        Tensor a = g.tensor(g.node(best).inputs().get(0)), c = g.tensor(g.node(best).inputs().get(1));
        return a.rank() == 2 && a.dim(0) == logits.dim(0) ? a : c;
    }

    /** Whether {@code t} is computed from {@code input}. */
    static boolean dependsOn(Tensor t, Tensor input) {
        Graph g = t.graph();
        boolean[] reach = new boolean[t.id() + 1];
        reach[t.id()] = true;
        for (int id = t.id(); id >= input.id(); id--) {
            if (!reach[id]) continue;
            if (id == input.id()) return true;
            for (int i = 0; i < g.node(id).inputs().size(); i++) reach[g.node(id).inputs().get(i)] = true;
        }
        return false;
    }

    /** Images {@code from..from+n} of the set, 28x28 gray to 64x64 by nearest neighbour, repeated over 3 channels (NCHW). */
    static void fashionBatch(Dataset d, int from, int n, float[] x, int[] y) {
        for (int i = 0; i < n; i++) {
            y[i] = d.labels()[from + i];
            for (int r = 0; r < 64; r++) {
                for (int c = 0; c < 64; c++) {
                    float v = d.features()[(from + i) * 784 + (r * 28 / 64) * 28 + c * 28 / 64];
                    for (int ch = 0; ch < 3; ch++) x[((i * 3 + ch) * 64 + r) * 64 + c] = v;
                }
            }
        }
    }

    static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    static float[] randomFloats(int n, double scale, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * scale);
        return f;
    }
}
