package dev.adjoint.bench.cli;

import dev.adjoint.cpu.Cpu;
import dev.adjoint.onnx.Executor;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The CPU executor as an {@link Executor}: compiles once per call (the node tests are tiny). */
final class CpuExecutor implements Executor {
    @Override public List<NdArray> run(List<Tensor> outputs, Map<Tensor, NdArray> feeds) {
        Plan plan = Cpu.compile(outputs);
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
