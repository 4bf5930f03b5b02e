package dev.adjoint.autodiff;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Test helpers: random feeds, inner products, one-shot evaluation. */
final class T {
    private T() {}

    static NdArray random(Shape s, Random rnd, double lo, double hi) {
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
        return new NdArray(s, v);
    }

    static NdArray gaussian(Shape s, Random rnd) {
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextGaussian();
        return new NdArray(s, v);
    }

    static double dot(NdArray a, NdArray b) {
        double s = 0;
        for (int i = 0; i < a.data().length; i++) s += a.data()[i] * b.data()[i];
        return s;
    }

    static double scalar(Graph g, Map<Tensor, NdArray> feeds, Tensor t) { return Interpreter.run(g, feeds, t).item(); }

    static Map<Tensor, NdArray> feeds(Object... pairs) {
        Map<Tensor, NdArray> m = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            Tensor t = (Tensor) pairs[i];
            Object v = pairs[i + 1];
            m.put(t, v instanceof NdArray a ? a : NdArray.scalar(((Number) v).doubleValue()));
        }
        return m;
    }

    static List<NdArray> run(Graph g, Map<Tensor, NdArray> feeds, List<Tensor> outs) { return Interpreter.run(g, feeds, outs); }
}
