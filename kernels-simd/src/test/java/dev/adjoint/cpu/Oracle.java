package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.graph.DType;
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

    /** Random values of {@code t}: floats in [lo, hi) (f32-representable for f32), integers in [lo, hi), bools. */
    static NdArray random(SplittableRandom rnd, DType t, Shape shape, double lo, double hi) {
        double[] v = new double[shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (t) {
                case F32 -> (float) rnd.nextDouble(lo, hi);
                case F64 -> rnd.nextDouble(lo, hi);
                case I32, I64 -> Math.floor(rnd.nextDouble(lo, hi));
                case BOOL -> rnd.nextBoolean() ? 1 : 0;
            };
        }
        return new NdArray(t, shape, v);
    }

    /** The Java array a plan takes for a value of type {@code t}. */
    static Object feed(DType t, double[] v) {
        return switch (t) {
            case F32 -> { float[] f = new float[v.length]; for (int i = 0; i < v.length; i++) f[i] = (float) v[i]; yield f; }
            case F64 -> v.clone();
            case I32 -> { int[] f = new int[v.length]; for (int i = 0; i < v.length; i++) f[i] = (int) v[i]; yield f; }
            case I64 -> { long[] f = new long[v.length]; for (int i = 0; i < v.length; i++) f[i] = (long) v[i]; yield f; }
            case BOOL -> { boolean[] f = new boolean[v.length]; for (int i = 0; i < v.length; i++) f[i] = v[i] != 0; yield f; }
        };
    }

    /** Compiles and runs a plan on the feeds (each converted to its input's type). */
    static Plan run(List<Tensor> outputs, Map<Tensor, NdArray> feeds, WorkSplitter splitter) {
        Plan plan = Cpu.compile(outputs, CompileOptions.defaults().withSplitter(splitter));
        Map<Tensor, Object> in = new HashMap<>();
        feeds.forEach((t, v) -> in.put(t, feed(t.dtype(), v.data())));
        plan.run(in);
        return plan;
    }

    /**
     * Asserts the plan's outputs match the interpreter's: floats within {@code rtol} relative to the
     * output's scale, integers and bools exactly.
     */
    static void check(List<Tensor> outputs, Map<Tensor, NdArray> feeds, double rtol, WorkSplitter splitter) {
        List<NdArray> expected = Interpreter.run(outputs.get(0).graph(), feeds, outputs);
        Plan plan = run(outputs, feeds, splitter);
        for (int o = 0; o < outputs.size(); o++) {
            double[] e = expected.get(o).data();
            double[] a = plan.outputAsDoubles(o);
            boolean exact = !outputs.get(o).dtype().isFloat();
            assertEquals(e.length, a.length, "output " + o + " size");
            double scale = 0;
            for (double x : e) if (!Double.isInfinite(x)) scale = Math.max(scale, Math.abs(x));
            for (int i = 0; i < e.length; i++) {
                boolean bad = exact ? e[i] != a[i]
                        : Double.isNaN(e[i]) != Double.isNaN(a[i])
                        || (e[i] != a[i] && !(Math.abs(e[i] - a[i]) <= rtol * (1 + scale)));
                if (bad) {
                    fail("output " + o + " " + outputs.get(o) + " element " + i + ": expected " + e[i] + ", got " + a[i]
                            + "\n" + plan.describe());
                }
            }
        }
    }
}
