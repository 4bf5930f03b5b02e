package dev.adjoint.bench.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.SavedGraph;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optimizers' graph nodes against the update rules written out by hand; models' shapes; checkpoints. */
class OptimizerAndModelTest {

    /** Three steps of {@code opt} on loss = sum(c * p^2) / 2 (gradient c * p), through Cpu.compile. */
    private static float[] steps(Optimizer opt, float[] p0, float[] c) {
        Graph g = new Graph();
        Tensor p = g.input("p", p0.length), cc = g.input("c", p0.length);
        Tensor loss = cc.mul(p.square()).sum().mul(0.5);
        List<Tensor> grads = Autodiff.grad(loss, List.of(p));
        Optimizer.Update u = opt.build(g, List.of(p), grads);
        List<Tensor> outs = new ArrayList<>(u.newParams());
        outs.addAll(u.newState());
        Plan plan = Cpu.compile(outs);
        Map<Tensor, float[]> feeds = new HashMap<>();
        feeds.put(p, p0.clone());
        feeds.put(cc, c);
        for (Tensor s : u.state()) feeds.put(s, new float[p0.length]);
        for (int t = 1; t <= 3; t++) {
            float[] sv = opt.scalars(t);
            for (int i = 0; i < sv.length; i++) feeds.put(u.scalars().get(i), new float[] {sv[i]});
            plan.run(feeds);
            feeds.put(p, plan.output(0).clone());
            for (int i = 0; i < u.state().size(); i++) feeds.put(u.state().get(i), plan.output(1 + i).clone());
        }
        return feeds.get(p);
    }

    @Test void sgdWithMomentumMatchesTheRule() {
        float[] p = {1f, -2f, 0.5f}, c = {1f, 0.5f, 4f};
        double lr = 0.1, mu = 0.9;
        double[] x = {1, -2, 0.5}, v = new double[3];
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < 3; i++) {
                v[i] = mu * v[i] + c[i] * x[i];
                x[i] -= lr * v[i];
            }
        }
        assertClose(x, steps(new Optimizer.Sgd((float) lr, (float) mu), p, c));
    }

    @Test void adamMatchesTheRule() {
        float[] p = {1f, -2f, 0.5f}, c = {1f, 0.5f, 4f};
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] x = {1, -2, 0.5}, m = new double[3], s = new double[3];
        for (int t = 1; t <= 3; t++) {
            for (int i = 0; i < 3; i++) {
                double g = c[i] * x[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                s[i] = b2 * s[i] + (1 - b2) * g * g;
                double mh = m[i] / (1 - Math.pow(b1, t)), sh = s[i] / (1 - Math.pow(b2, t));
                x[i] -= lr * mh / (Math.sqrt(sh) + eps);
            }
        }
        assertClose(x, steps(new Optimizer.Adam((float) lr, (float) b1, (float) b2, (float) eps), p, c));
    }

    private static void assertClose(double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5, "element " + i);
    }

    @Test void leNetShapes() {
        Model m = new LeNet(28, new int[] {120, 84}, 10);
        assertEquals(5 * 5 * 16, m.parameters().get(4).shape().dim(0), "the first dense layer sees 5x5x16 features");
        Graph g = new Graph();
        Tensor x = g.input("x", 3, 784);
        List<Tensor> params = new ArrayList<>();
        for (Model.Parameter p : m.parameters()) params.add(g.input(p.name(), p.shape()));
        Scopes scopes = new Scopes();
        assertEquals(Shape.of(3, 10), m.forward(x, params, scopes).shape());
        assertEquals(List.of("image 28x28x1", "conv1 5x5x6, relu, maxpool 2x2", "conv2 5x5x16, relu, maxpool 2x2", "flatten 400",
                "dense0 400->120, relu", "dense1 120->84, relu", "dense2 84->10"), scopes.scopes().stream().map(Scopes.Scope::name).toList());
    }

    @Test void checkpointRunsLikeTheModel(@TempDir Path dir) throws Exception {
        Model m = new Mlp(6, new int[] {5}, 3);
        SplittableRandom rnd = new SplittableRandom(3);
        List<float[]> values = new ArrayList<>();
        for (Model.Parameter p : m.parameters()) values.add(new Model.Parameter(p.name(), p.shape(), 4).initialize(rnd));
        Path file = dir.resolve("m.adj");
        Checkpoint.write(m, 6, values, file);
        assertArrayEquals(values.get(2), Checkpoint.readParameters(file).get("w1"));

        double[] xs = {0.1, -0.4, 0.9, 0.3, -0.2, 0.7};
        SavedGraph saved = GraphFile.readSaved(file);
        NdArray fromFile = Interpreter.run(saved.graph(), Map.of(saved.graph().inputNamed("x"), NdArray.of(Shape.of(1, 6), xs)),
                saved.output("logits"));
        Graph g = new Graph();
        Tensor x = g.input("x", 1, 6);
        List<Tensor> params = new ArrayList<>();
        Map<Tensor, NdArray> feeds = new HashMap<>(Map.of(x, NdArray.of(Shape.of(1, 6), xs)));
        for (int i = 0; i < values.size(); i++) {
            Model.Parameter p = m.parameters().get(i);
            Tensor t = g.input(p.name(), p.shape());
            params.add(t);
            double[] d = new double[values.get(i).length];
            for (int j = 0; j < d.length; j++) d[j] = values.get(i)[j];
            feeds.put(t, NdArray.of(p.shape(), d));
        }
        NdArray direct = Interpreter.run(g, feeds, m.forward(x, params, new Scopes()));
        assertArrayEquals(direct.data(), fromFile.data(), 1e-12);
    }
}
