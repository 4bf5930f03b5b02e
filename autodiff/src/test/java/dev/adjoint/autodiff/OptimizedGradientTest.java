package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.pass.Optimizer;
import dev.adjoint.graph.pass.Rewritten;
import dev.adjoint.graph.testing.RandomGraphs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Gradient graphs are ordinary graphs: graph-core's optimizer rewrites them (folding the
 * transposes that dot_general's transpose rule emits, CSE, DCE) and the result computes what
 * the original computes.
 */
class OptimizedGradientTest {
    @Test void optimizedGradientsEqualOriginal() {
        int shrunk = 0;
        for (long seed = 0; seed < 60; seed++) {
            RandomGraphs.Case c = RandomGraphs.generate(seed, 12);
            List<Tensor> inputs = new ArrayList<>(c.feeds().keySet());
            inputs.sort((a, b) -> Integer.compare(a.id(), b.id()));
            Tensor y = c.outputs().get(0);
            List<Tensor> grads = Autodiff.grad(y.sum(), inputs);
            List<NdArray> before = Interpreter.run(c.graph(), c.feeds(), grads);
            Rewritten opt = Optimizer.optimize(grads);
            Map<Tensor, NdArray> feeds = new HashMap<>();
            for (var e : c.feeds().entrySet()) {
                Tensor in = opt.inputs().get(e.getKey());
                if (in != null) feeds.put(in, e.getValue());
            }
            List<NdArray> after = Interpreter.run(opt.graph(), feeds, opt.outputs());
            for (int i = 0; i < grads.size(); i++) {
                double[] a = before.get(i).data(), b = after.get(i).data();
                assertEquals(a.length, b.length);
                for (int k = 0; k < a.length; k++) {
                    if (Double.isNaN(a[k])) continue; // sqrt(0) singularities (see RandomGraphGradTest)
                    assertEquals(a[k], b[k], 1e-9 * (1 + Math.abs(a[k])), "seed " + seed + " grad " + i);
                }
            }
            if (opt.graph().size() < c.graph().size()) shrunk++;
        }
        assertTrue(shrunk > 0);
    }
}
