package dev.adjoint.bench.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Precedence and associativity of the {@code hvp} expression grammar (SCHEMA.md section 6). */
class ExprTest {
    private static double eval(String src, double x, double y) {
        Graph g = new Graph();
        Tensor tx = g.input("x"), ty = g.input("y");
        List<ConformanceCase.Input> names = List.of(new ConformanceCase.Input("x", NdArray.scalar(x), false),
                new ConformanceCase.Input("y", NdArray.scalar(y), false));
        Tensor t = Expr.parse(src, g, names, List.of(tx, ty));
        return Interpreter.run(g, Map.of(tx, NdArray.scalar(x), ty, NdArray.scalar(y)), t).item();
    }

    @Test void precedence() {
        assertEquals(-9, eval("-x^2", 3, 0), 1e-12);           // '^' binds tighter than unary minus on its left
        assertEquals(1.0 / 9, eval("x^-2", 3, 0), 1e-12);      // exponent is a unary
        assertEquals(3 - 2 - 1, eval("x-y-1", 3, 2), 1e-12);   // left associative
        assertEquals(3.0 / 2 / 2, eval("x/y/2", 3, 2), 1e-12);
        assertEquals(1 + 2 * 9, eval("1+y*x^2", 3, 2), 1e-12);
        assertEquals(Math.log(Math.exp(3) + 0), eval("log(sum(exp(x)))", 3, 0), 1e-12);
        assertEquals(9 * 0.5, eval("square(x) * reciprocal(y)", 3, 2), 1e-12);
        assertEquals(2.5e-1 * 3, eval("2.5e-1*x", 3, 0), 1e-12);
    }

    @Test void errors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> eval("x+z", 1, 1));
        assertTrue(e.getMessage().contains("unknown name \"z\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> eval("foo(x)", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> eval("(x+y", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> eval("x y", 1, 1));
    }
}
