package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.WorkSplitter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Runs a graph through a compiled plan and through the float64 interpreter, and compares. */
final class Oracle {
    private Oracle() {}

    /** Random float-representable values in [lo, hi), so both sides see identical inputs. */
    static NdArray random(SplittableRandom rnd, Shape shape, double lo, double hi) {
        double[] v = new double[shape.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextDouble(lo, hi);
        return NdArray.of(shape, v);
    }

    /** Asserts the plan's outputs match the interpreter's within {@code rtol}, relative to the output's scale. */
    static void check(List<Tensor> outputs, Map<Tensor, NdArray> feeds, double rtol, WorkSplitter splitter) {
        List<NdArray> expected = Interpreter.run(outputs.get(0).graph(), feeds, outputs);
        Plan plan = Cpu.compile(outputs, CompileOptions.defaults().withSplitter(splitter));
        Map<Tensor, float[]> in = new HashMap<>();
        feeds.forEach((t, v) -> {
            float[] f = new float[v.data().length];
            for (int i = 0; i < f.length; i++) f[i] = (float) v.data()[i];
            in.put(t, f);
        });
        plan.run(in);
        for (int o = 0; o < outputs.size(); o++) {
            double[] e = expected.get(o).data();
            float[] a = plan.output(o);
            assertEquals(e.length, a.length, "output " + o + " size");
            double scale = 0;
            for (double x : e) scale = Math.max(scale, Math.abs(x));
            for (int i = 0; i < e.length; i++) {
                if (Double.isNaN(e[i]) != Float.isNaN(a[i]) || Math.abs(e[i] - a[i]) > rtol * (1 + scale)) {
                    fail("output " + o + " " + outputs.get(o) + " element " + i + ": expected " + e[i] + ", got " + a[i]
                            + "\n" + plan.describe());
                }
            }
        }
    }
}
