package dev.adjoint.bench.conformance;

import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What evaluates a case's graphs, chosen with {@code -Dconformance.backend=NAME}. Every backend
 * runs the same graphs (the op, its vjp, jvp and for {@code hvp} cases the grad, hvp and Hessian),
 * built with float inputs of {@link #floatType()} and integer inputs as i64.
 */
public enum Backend {
    /** The float64 reference interpreter on f32 graphs (it computes every float type in f64); each case's tolerance. */
    INTERPRETER("interpreter", DType.F32),
    /** The executor ({@code Cpu.compile}) in f32, with SCHEMA.md's float32 tolerances. */
    CPU("cpu", DType.F32),
    /** The executor on f64 graphs, with each case's tolerance. */
    CPU_F64("cpu-f64", DType.F64);

    /**
     * The families for which SCHEMA.md's float32 rule is the looser rtol 1e-3, atol 1e-4 (long
     * chains of ops). Part 2's norm and attention families are composites too, but they pass the
     * tighter rule in f32, so they are held to it (a looser bound would hide more).
     */
    private static final Set<String> LONG_CHAIN_FAMILIES = Set.of("nn", "conv", "higher_order");

    private final String label;
    private final DType floatType;

    Backend(String label, DType floatType) {
        this.label = label;
        this.floatType = floatType;
    }

    /** The name used by {@code -Dconformance.backend}. */
    public String label() { return label; }

    /** The element type of the float inputs of the graphs this backend runs. */
    public DType floatType() { return floatType; }

    /**
     * The backend named {@code name}; null or blank means {@link #INTERPRETER}.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Backend of(String name) {
        if (name == null || name.isBlank()) return INTERPRETER;
        for (Backend b : values()) if (b.label.equals(name.trim())) return b;
        throw new IllegalArgumentException("conformance.backend \"" + name + "\" is unknown; use interpreter, cpu or cpu-f64");
    }

    /**
     * The allclose tolerance for {@code c} on this backend: the case's own for the float64
     * backends; for {@link #CPU} the float32 rule of SCHEMA.md section 3 (or the case's, if looser),
     * since the inputs themselves are rounded to float32.
     */
    public Tolerance tolerance(ConformanceCase c) {
        Tolerance own = new Tolerance(c.rtol(), c.atol());
        return switch (this) {
            case INTERPRETER, CPU_F64 -> own;
            case CPU -> {
                Tolerance f32 = LONG_CHAIN_FAMILIES.contains(c.family()) ? new Tolerance(1e-3, 1e-4) : new Tolerance(1e-4, 1e-5);
                yield new Tolerance(Math.max(own.rtol(), f32.rtol()), Math.max(own.atol(), f32.atol()));
            }
        };
    }

    /** Evaluates a fixed list of outputs, once per set of feeds. */
    @FunctionalInterface
    public interface Evaluator {
        /** The outputs' values (float64 arrays of the outputs' types and shapes) for {@code feeds}. */
        List<NdArray> run(Map<Tensor, NdArray> feeds);
    }

    /**
     * Prepares to evaluate {@code outputs} of {@code g} (for the executor: compiles them once, so
     * that the Hessian's one run per basis vector reuses the plan).
     *
     * @throws UnsupportedOperationException if the executor cannot compile a node (an op or type it lacks)
     */
    public Evaluator prepare(Graph g, List<Tensor> outputs) {
        return switch (this) {
            case INTERPRETER -> feeds -> Interpreter.run(g, feeds, outputs);
            case CPU, CPU_F64 -> {
                Plan plan = Cpu.compile(outputs);
                yield feeds -> runPlan(plan, feeds, outputs);
            }
        };
    }

    /** Evaluates {@code outputs} of {@code g} once; see {@link #prepare}. */
    public List<NdArray> run(Graph g, Map<Tensor, NdArray> feeds, List<Tensor> outputs) { return prepare(g, outputs).run(feeds); }

    private static List<NdArray> runPlan(Plan plan, Map<Tensor, NdArray> feeds, List<Tensor> outputs) {
        List<Tensor> inputs = plan.inputs();
        Object[] args = new Object[inputs.size()];
        for (int i = 0; i < args.length; i++) {
            Tensor t = inputs.get(i);
            NdArray v = feeds.get(t);
            if (v == null) throw new IllegalArgumentException("conformance: no value for input " + t);
            args[i] = array(t.dtype(), v.data());
        }
        plan.run(args);
        List<NdArray> out = new ArrayList<>(outputs.size());
        for (int i = 0; i < outputs.size(); i++) {
            Tensor t = outputs.get(i);
            out.add(new NdArray(t.dtype(), t.shape(), plan.outputAsDoubles(i)));
        }
        return out;
    }

    /** A feed in the executor's array type for {@code type}: float[], double[], int[], long[] or boolean[]. */
    static Object array(DType type, double[] v) {
        return switch (type) {
            case F32 -> {
                float[] a = new float[v.length];
                for (int i = 0; i < v.length; i++) a[i] = (float) v[i];
                yield a;
            }
            case F64 -> v.clone();
            case I32 -> {
                int[] a = new int[v.length];
                for (int i = 0; i < v.length; i++) a[i] = (int) v[i];
                yield a;
            }
            case I64 -> {
                long[] a = new long[v.length];
                for (int i = 0; i < v.length; i++) a[i] = (long) v[i];
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[v.length];
                for (int i = 0; i < v.length; i++) a[i] = v[i] != 0;
                yield a;
            }
        };
    }

    @Override public String toString() { return label; }
}
