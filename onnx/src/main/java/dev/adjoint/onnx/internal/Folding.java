package dev.adjoint.onnx.internal;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Import-time evaluation of nodes whose inputs are all known: the shape subgraphs exporters emit
 * (Shape, Gather, Concat, Unsqueeze, ConstantOfShape, Range, ...) and computations on constant
 * initializers. The node is built by its own mapper in a scratch graph of constants and run by the
 * float64 reference {@link Interpreter}; the results become constants of the model's graph, so
 * later nodes that need static values (Reshape's shape, Slice's starts) find them.
 */
final class Folding {
    /** Folding stops at this many input elements: big weight computations are left to the graph. */
    static final long MAX_ELEMENTS = 1 << 16;

    private Folding() {}

    /** Whether every given input is a constant and small enough to fold. */
    static boolean foldable(List<Tensor> inputs) {
        long n = 0;
        for (Tensor t : inputs) {
            if (t == null) continue;
            if (!(t.op() instanceof Constant)) return false;
            n += t.shape().size();
        }
        return n <= MAX_ELEMENTS;
    }

    /** A copy of constant {@code t} in graph {@code g}. */
    static Tensor copy(Tensor t, Graph g) {
        Constant c = (Constant) t.op();
        return g.add(c);
    }

    /** Evaluates {@code outs} (tensors of the scratch graph {@code scratch}) and adds them to {@code g} as constants. */
    static List<Tensor> evaluate(Graph scratch, List<Tensor> outs, Graph g) {
        List<Tensor> present = new ArrayList<>();
        for (Tensor t : outs) if (t != null) present.add(t);
        List<NdArray> values = Interpreter.run(scratch, Map.of(), present);
        List<Tensor> result = new ArrayList<>();
        int k = 0;
        for (Tensor t : outs) {
            if (t == null) {
                result.add(null);
                continue;
            }
            double[] v = values.get(k++).data();
            // The interpreter computes floats in float64: round to the type the model asked for.
            if (t.dtype() == dev.adjoint.graph.DType.F32) for (int i = 0; i < v.length; i++) v[i] = (float) v[i];
            result.add(g.constant(t.dtype(), t.shape(), v));
        }
        return result;
    }
}
