package dev.adjoint.onnx;

import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The CPU executor as an {@link Executor}: compiles once per call (the node tests are tiny). */
final class CpuExecutor implements Executor {
    private final dev.adjoint.graph.pass.Pipeline pipeline;

    /** With {@code Cpu.compile}'s default pipeline. */
    CpuExecutor() { this(null); }

    /** With the given pass pipeline (null: the default). */
    CpuExecutor(dev.adjoint.graph.pass.Pipeline pipeline) { this.pipeline = pipeline; }

    @Override public List<NdArray> run(List<Tensor> outputs, Map<Tensor, NdArray> feeds) {
        Plan plan = pipeline == null ? Cpu.compile(outputs)
                : Cpu.compile(outputs, dev.adjoint.cpu.CompileOptions.defaults().withPipeline(pipeline));
        Map<Tensor, Object> typed = new HashMap<>();
        for (var e : feeds.entrySet()) typed.put(e.getKey(), typed(e.getValue()));
        plan.run(typed);
        List<NdArray> out = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor t = outputs.get(i);
            out.add(new NdArray(t.dtype(), t.shape(), plan.outputAsDoubles(i)));
        }
        return out;
    }

    static Object typed(NdArray a) {
        double[] d = a.data();
        return switch (a.dtype()) {
            case F32 -> { float[] f = new float[d.length]; for (int i = 0; i < d.length; i++) f[i] = (float) d[i]; yield f; }
            case F64 -> d.clone();
            case I32 -> { int[] v = new int[d.length]; for (int i = 0; i < d.length; i++) v[i] = (int) d[i]; yield v; }
            case I64 -> { long[] v = new long[d.length]; for (int i = 0; i < d.length; i++) v[i] = (long) d[i]; yield v; }
            case BOOL -> { boolean[] v = new boolean[d.length]; for (int i = 0; i < d.length; i++) v[i] = d[i] != 0; yield v; }
        };
    }
}
