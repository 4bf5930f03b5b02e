package dev.adjoint.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 11 #3: reverse and forward mode over a long chain use no stack frame per node. */
class LongChainTest {
    @Test void gradientOfALongChain() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3);
        int n = 50_000;
        Tensor y = g.withSite(new StackTraceElement("LongChainTest", "chain", "LongChainTest.java", 1), () -> {
            Tensor z = x;
            for (int i = 0; i < n; i++) z = z.add(x);
            return z.sum();
        });
        Tensor dx = Autodiff.grad(y, x);
        NdArray v = Interpreter.run(g, Map.of(x, NdArray.of(Shape.of(3), 1, 2, 3)), dx);
        for (double d : v.data()) assertEquals(n + 1, d);
        Tensor slope = Autodiff.jvp(y, x, g.input("v", 3));
        assertEquals(Shape.of(), slope.shape());
    }
}
