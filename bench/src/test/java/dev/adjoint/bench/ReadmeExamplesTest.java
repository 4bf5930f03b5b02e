package dev.adjoint.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The README's examples, as written there, checked against the interpreter and finite differences. */
class ReadmeExamplesTest {

    @Test void autodiffAndExecutorExample() {
        // --- README: "Derivatives" ---
        Graph g = new Graph();
        Tensor x = g.input("x", 4, 3), labels = g.input("labels", 4), w = g.input("w", 3, 2);
        Tensor loss = Nn.crossEntropy(x.matmul(w).tanh(), labels);

        Tensor dw = Autodiff.grad(loss, w);                                    // reverse mode
        Tensor v = g.input("v", 3, 2);
        Tensor slope = Autodiff.jvp(loss, w, v);                               // forward mode: d loss along v
        Tensor hv = Autodiff.hvp(loss, List.of(w), List.of(v)).get(0);         // forward over reverse

        Plan plan = Cpu.compile(List.of(loss, dw, slope, hv));                 // optimize, schedule, plan once
        // --- end of README excerpt ---

        SplittableRandom rnd = new SplittableRandom(3);
        Map<Tensor, NdArray> feeds = new HashMap<>();
        for (Tensor t : List.of(x, w, v)) {
            double[] d = new double[t.shape().size()];
            for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextDouble(-1, 1);
            feeds.put(t, NdArray.of(t.shape(), d));
        }
        feeds.put(labels, NdArray.of(Shape.of(4), 0, 1, 1, 0));
        Map<Tensor, float[]> in = new HashMap<>();
        feeds.forEach((t, a) -> {
            float[] f = new float[a.data().length];
            for (int i = 0; i < f.length; i++) f[i] = (float) a.data()[i];
            in.put(t, f);
        });
        plan.run(in);

        List<NdArray> exact = Interpreter.run(g, feeds, List.of(loss, dw, slope, hv));
        for (int o = 0; o < 4; o++) {
            double[] e = exact.get(o).data();
            for (int i = 0; i < e.length; i++) assertEquals(e[i], plan.output(o)[i], 1e-4, "output " + o + " element " + i);
        }
        // The slope along v is <grad, v>, and H v is the derivative of the gradient along v (central differences).
        double dot = 0;
        for (int i = 0; i < 6; i++) dot += exact.get(1).data()[i] * feeds.get(v).data()[i];
        assertEquals(dot, exact.get(2).item(), 1e-12);
        double h = 1e-5;
        double[] plus = shifted(feeds, w, v, h, g, dw), minus = shifted(feeds, w, v, -h, g, dw);
        for (int i = 0; i < 6; i++) assertEquals((plus[i] - minus[i]) / (2 * h), exact.get(3).data()[i], 1e-6);
    }

    private static double[] shifted(Map<Tensor, NdArray> feeds, Tensor w, Tensor v, double h, Graph g, Tensor dw) {
        Map<Tensor, NdArray> f = new HashMap<>(feeds);
        double[] moved = feeds.get(w).data().clone();
        for (int i = 0; i < moved.length; i++) moved[i] += h * feeds.get(v).data()[i];
        f.put(w, NdArray.of(w.shape(), moved));
        return Interpreter.run(g, f, dw).data();
    }
}
