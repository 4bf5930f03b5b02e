package dev.adjoint.example;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds a two-layer classifier, appends its gradient, compiles one SGD step and runs it on
 * synthetic data (the label is which of the first two features is larger). Exits with 1 if the
 * loss does not fall, so CI notices a library that links but does not learn.
 */
public final class TrainSteps {
    private TrainSteps() {}

    /** Entry point. */
    public static void main(String[] args) {
        int n = 64, in = 8, hidden = 16, classes = 2;
        Graph g = new Graph();
        Tensor x = g.input("x", n, in), y = g.input("y", n);
        Tensor w1 = g.input("w1", in, hidden), b1 = g.input("b1", hidden), w2 = g.input("w2", hidden, classes);
        Tensor loss = Nn.crossEntropy(Nn.linear(x, w1, b1).relu().matmul(w2), y);
        List<Tensor> params = List.of(w1, b1, w2);
        List<Tensor> outputs = new ArrayList<>(List.of(loss));
        List<Tensor> grads = Autodiff.grad(loss, params);
        for (int i = 0; i < params.size(); i++) outputs.add(params.get(i).sub(grads.get(i).mul(0.5)));
        Plan step = Cpu.compile(outputs);

        Random rnd = new Random(1);
        float[] xs = new float[n * in], ys = new float[n];
        for (int e = 0; e < n; e++) {
            for (int j = 0; j < in; j++) xs[e * in + j] = (float) rnd.nextGaussian();
            ys[e] = xs[e * in] > xs[e * in + 1] ? 1 : 0;
        }
        float[][] values = {random(rnd, in * hidden, 0.5), new float[hidden], random(rnd, hidden * classes, 0.5)};
        float first = Float.NaN, last = Float.NaN;
        for (int s = 0; s < 200; s++) {
            float[][] feeds = new float[step.inputs().size()][];
            for (int i = 0; i < feeds.length; i++) {
                Tensor t = step.inputs().get(i);
                feeds[i] = t.equals(x) ? xs : t.equals(y) ? ys : values[params.indexOf(t)];
            }
            step.run(feeds);
            last = step.output(0)[0];
            if (s == 0) first = last;
            for (int i = 0; i < params.size(); i++) values[i] = step.output(1 + i).clone();
            if (s % 50 == 0) System.out.printf("step %3d: loss %.4f%n", s, last);
        }
        System.out.printf("loss %.4f -> %.4f after 200 steps (%s)%n", first, last,
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "Vector API kernels" : "scalar kernels");
        System.out.println("module " + TrainSteps.class.getModule().getName() + " reads " + Cpu.class.getModule().getName());
        if (!(last < 0.5f * first)) {
            System.err.println("the loss did not halve");
            System.exit(1);
        }
    }

    private static float[] random(Random rnd, int size, double scale) {
        float[] v = new float[size];
        for (int i = 0; i < v.length; i++) v[i] = (float) (scale * rnd.nextGaussian());
        return v;
    }
}
