package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import dev.adjoint.kernels.WorkSplitter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Regression tests of issue 11's numeric and run-time-error defects, on the executor. */
class ReliabilityOpsTest {

    /** Issue 11 #4: a bad cross-entropy label is a run-time error naming the node and the label (executor). */
    @Test void crossEntropyRefusesBadLabels() {
        Graph g = new Graph();
        Tensor logits = g.input("logits", 2, 3), labels = g.input("labels", DType.I32, 2);
        Plan p = Cpu.compile(List.of(Nn.crossEntropy(logits, labels)));
        float[] lv = {1, 2, 3, 0, 0, 0};
        for (int bad : new int[] {10, -1, 3}) {
            var e = assertThrows(IllegalArgumentException.class, () -> p.run(lv, new int[] {0, bad}));
            assertTrue(e.getMessage().contains("index " + bad + " at position 1") && e.getMessage().contains("take_along_axis")
                    && e.getMessage().contains("ReliabilityOpsTest.java:"), e.getMessage());
        }
        p.run(lv, new int[] {-100, 1}); // ignore_index is exempt
        assertEquals((float) Math.log(3), p.output(0)[0], 1e-6f);
        Tensor fl = g.input("flabels", DType.F32, 2);
        Plan pf = Cpu.compile(List.of(Nn.crossEntropy(logits, fl)));
        var e = assertThrows(IllegalArgumentException.class, () -> pf.run(Map.of(logits, lv, fl, new float[] {0.5f, 1})));
        assertTrue(e.getMessage().contains("index -1 at position 0"), e.getMessage());
    }

    /** Issue 11 #7: -inf logits give finite losses and logsumexp of all -inf is -inf (executor). */
    @Test void negativeInfiniteLogits() {
        Graph g = new Graph();
        Tensor logits = g.input("logits", 1, 2), labels = g.input("labels", DType.I32, 1), x = g.input("x", 3);
        Plan p = Cpu.compile(List.of(Nn.crossEntropy(logits, labels), Nn.logSumExp(x, 0)));
        float inf = Float.NEGATIVE_INFINITY;
        p.run(Map.of(logits, new float[] {0, inf}, labels, new int[] {0}, x, new float[] {inf, inf, inf}));
        assertEquals(0f, p.output(0)[0]);
        assertEquals(inf, p.output(1)[0]);
    }

    /** Issue 11 #12: the NaN check names the op inside a fused chain that made the NaN, with its line. */
    @Test void nanCheckNamesTheOpInsideTheFusion() {
        Graph g = new Graph();
        Tensor x = g.input("x", 4);
        Tensor logged = x.log();
        Tensor y = logged.mul(2).add(3);
        Plan p = Cpu.compile(List.of(y), CompileOptions.defaults().withNaNChecks(true));
        assertEquals(1, p.stepCount(), p.describe()); // one fused step
        var e = assertThrows(ArithmeticException.class, () -> p.run(new float[] {1, 2, -1, 4}));
        assertTrue(e.getMessage().startsWith("NaN at element 2 of node %") && e.getMessage().contains(" log f32[4]")
                && e.getMessage().contains("fused into the step of") && e.getMessage().contains("ReliabilityOpsTest.java:"), e.getMessage());
        assertTrue(e.getMessage().indexOf("log") < e.getMessage().indexOf("add"), e.getMessage());
    }

    private static final int[] SIZES = {1, 7, 8, 16, 33};

    private static double[] specials(DType t) {
        double huge = t == DType.F32 ? 3e38 : 1e308;
        return new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, Double.NaN, huge, -huge,
                0.5, -0.5, 1, -1, 3, -3, 10, -10, 1e-30, 20, -20, 88, -90, 100};
    }

    /**
     * Issue 11 #13: every float unary function gives the same value at every tensor size (one
     * element alone, vector tails, whole vectors), and the exact value at the limits.
     */
    @Test void unaryFunctionsAgreeAtEverySizeAndAtTheLimits() {
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (UnaryFn fn : UnaryFn.values()) {
                double[] sp = specials(t);
                double[] alone = new double[sp.length];
                boolean defined = true;
                for (int n : SIZES) {
                    Graph g = new Graph();
                    Tensor x = g.input("x", t, n);
                    Tensor y;
                    try {
                        y = g.add(new Unary(fn), x);
                    } catch (IllegalArgumentException notForFloats) { // a ShapeException or type error: not defined on floats
                        defined = false;
                        break;
                    }
                    Plan p = Cpu.compile(List.of(y), CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
                    for (int v = 0; v < sp.length; v++) {
                        // value v at every position in turn, so it is seen in the head, body and tail
                        for (int pos = 0; pos < n; pos += Math.max(1, n / 3)) {
                            double[] in = new double[n];
                            java.util.Arrays.fill(in, 0.25);
                            in[pos] = sp[v];
                            p.run(Oracle.feed(t, in));
                            double got = p.outputAsDoubles(0)[pos];
                            if (n == 1) alone[v] = got;
                            else if (Double.doubleToLongBits(got) != Double.doubleToLongBits(alone[v])) {
                                fail(t + " " + fn + "(" + sp[v] + ") is " + got + " at size " + n + " position " + pos + " but " + alone[v] + " alone");
                            }
                        }
                    }
                }
                if (!defined) continue;
                for (int v = 0; v < sp.length; v++) {
                    double x = t == DType.F32 ? (float) sp[v] : sp[v];
                    double ref = Interpreter.evaluate(new Unary(fn), Shape.of(1), DType.F64, NdArray.of(Shape.of(1), x)).data()[0];
                    if (t == DType.F32) ref = (float) ref;
                    double got = alone[v];
                    boolean limit = Double.isNaN(ref) || Double.isInfinite(ref) || ref == 0 || Math.abs(ref) == 1;
                    if (limit) {
                        if (Double.doubleToLongBits(got) != Double.doubleToLongBits(ref)) fail(t + " " + fn + "(" + x + ") = " + got + ", expected exactly " + ref);
                    } else if (t == DType.F32 && Math.abs(ref) < Float.MIN_NORMAL) {
                        // f32 logistic below -88.7 flushes its subnormal result to 0 (exp(-x) overflows first)
                        if (Math.abs(got) >= Float.MIN_NORMAL) fail(t + " " + fn + "(" + x + ") = " + got + ", expected subnormal " + ref);
                    } else {
                        double ulp = t == DType.F32 ? Math.ulp((float) ref) : Math.ulp(ref);
                        if (Math.abs(got - ref) > 4 * ulp) fail(t + " " + fn + "(" + x + ") = " + got + ", expected " + ref + " within 4 ulp");
                    }
                }
            }
        }
    }

    /** Issue 11 #13: pow(1, NaN) = 1 on the executor too, in f32 and f64. */
    @Test void powOfOne() {
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            Graph g = new Graph();
            Tensor a = g.input("a", t, 3), b = g.input("b", t, 3);
            Plan p = Cpu.compile(List.of(a.pow(b)));
            double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
            p.run(Oracle.feed(t, new double[] {1, 1, -1}), Oracle.feed(t, new double[] {nan, inf, -inf}));
            double[] r = p.outputAsDoubles(0);
            for (double v : r) assertEquals(1.0, v, t + " " + java.util.Arrays.toString(r));
        }
    }

    /** Issue 11 #6: a size-0 axis flows through every op family, in the interpreter and the executor alike. */
    @Test void sizeZeroFlowsThroughEveryOpFamily() {
        Map<String, Function<Tensor[], Tensor>> families = new java.util.LinkedHashMap<>();
        // x: f32[3, 0], z: f32[0, 4], w: f32[3, 4]
        families.put("unary", in -> in[0].exp().tanh());
        families.put("binary+broadcast", in -> in[0].add(1.0).mul(in[0]));
        families.put("compare/select", in -> Tensor.where(in[0].gt(0.0), in[0], in[0].neg()));
        families.put("convert", in -> in[0].convert(DType.F64).convert(DType.I32));
        families.put("reduce_sum over the empty axis", in -> in[0].sum(1));
        families.put("reduce_max over the empty axis", in -> in[0].reduceMax(1));
        families.put("reduce over the full axis", in -> in[0].sum(0));
        families.put("cumsum", in -> in[0].cumsum(1));
        families.put("matmul [3,0]x[0,4]", in -> in[0].matmul(in[1]));
        families.put("matmul [0,4]x[4,3]", in -> in[1].matmul(in[2].transpose(1, 0)));
        families.put("transpose/reshape", in -> in[0].transpose(1, 0).reshape(0, 3, 1));
        families.put("slice", in -> in[2].slice(new int[] {0, 1}, new int[] {3, 1}));
        families.put("pad", in -> in[0].pad(new int[] {1, 2}, new int[] {0, 1}));
        families.put("concatenate", in -> Tensor.concatenate(1, in[0], in[2]));
        families.put("gather with no indices", in -> in[2].gather(in[0].convert(DType.I32).reshape(0), 0));
        families.put("conv with an empty batch", in -> Nn.conv(in[1].reshape(0, 4, 1), in[2].slice(new int[] {0, 0}, new int[] {2, 1}).reshape(2, 1, 1)));
        families.put("softmax", in -> Nn.softmax(in[0], 1));
        for (var e : families.entrySet()) {
            Graph g = new Graph();
            Tensor x = g.input("x", 3, 0), z = g.input("z", 0, 4), w = g.input("w", 3, 4);
            Tensor y;
            try {
                y = e.getValue().apply(new Tensor[] {x, z, w});
            } catch (RuntimeException ex) {
                throw new AssertionError(e.getKey() + " does not build: " + ex, ex);
            }
            Map<Tensor, NdArray> feeds = new HashMap<>();
            feeds.put(x, NdArray.of(Shape.of(3, 0)));
            feeds.put(z, NdArray.of(Shape.of(0, 4)));
            double[] wv = new double[12];
            for (int i = 0; i < 12; i++) wv[i] = i - 5;
            feeds.put(w, NdArray.of(Shape.of(3, 4), wv));
            try {
                Oracle.check(List.of(y), feeds, 1e-6, WorkSplitter.SERIAL);
            } catch (RuntimeException | AssertionError ex) {
                throw new AssertionError(e.getKey() + ": " + ex, ex);
            }
        }
    }
}
