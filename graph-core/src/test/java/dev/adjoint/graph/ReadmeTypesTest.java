package dev.adjoint.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's "Types and the op set" snippet, as written there. */
class ReadmeTypesTest {
    @Test void theSnippetBuildsAndItsErrorReadsAsDocumented() {
        Graph g = new Graph();
        Tensor ids = g.input("ids", DType.I32, 512);
        Tensor table = g.input("table", 32000, 128);
        Tensor rows = Nn.embedding(ids, table);
        assertEquals(Shape.of(512, 128), rows.shape());
        assertEquals(DType.F32, rows.dtype());
        ShapeException e = assertThrows(ShapeException.class, () -> table.add(ids));
        assertTrue(e.getMessage().startsWith("add: operand types f32 and i32 differ; convert one with convert(x, F32); "
                + "x: f32[32000, 128], y: i32[512] (at ReadmeTypesTest.java:"), e.getMessage());
        Tensor key = Random.key(g, 42);
        Tensor kept = Nn.dropout(rows, key, 0.1, true);
        assertEquals(rows.shape(), kept.shape());
        // The dropout mask is a pure function of the key: two evaluations agree.
        Graph small = new Graph();
        Tensor x = small.input("x", 64);
        Tensor y = Nn.dropout(x, Random.key(small, 42), 0.5, true);
        double[] ones = new double[64];
        java.util.Arrays.fill(ones, 1);
        NdArray a = Interpreter.run(small, Map.of(x, NdArray.of(Shape.of(64), ones)), y);
        NdArray b = Interpreter.run(small, Map.of(x, NdArray.of(Shape.of(64), ones)), y);
        assertEquals(a, b);
        for (double v : a.data()) assertTrue(v == 0 || v == 2, "inverted dropout keeps 1 / (1 - rate) or drops: " + v);
    }
}
