package dev.adjoint.graph.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** Graph files with a free batch size (format version 3): fitted, checked, instantiated, refused. */
class GraphFileSymbolicTest {

    /** x [B, 4] -> dense 4->3 -> relu -> flatten to [3B] -> slice the last B+1 -> sum: dims and a slice bound affine in B. */
    static SavedGraph model(int b) {
        Graph g = new Graph();
        Tensor x = g.input("x", b, 4);
        Tensor w = g.input("w", 4, 3);
        Tensor h = x.matmul(w).add(g.constant(Shape.of(3), 0.5, -1, 2).broadcastTo(b, 3)).max(g.fill(0.0, b, 3));
        Tensor flat = h.reshape(3 * b);
        Tensor tail = flat.slice(new int[] {2 * b - 1}, new int[] {3 * b});
        return new SavedGraph(g, Map.of("y", h, "tail", tail));
    }

    static byte[] save(IntFunction<SavedGraph> trace) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GraphFile.writeSymbolic("batch", trace, out);
        return out.toByteArray();
    }

    static NdArray random(Shape s, long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return NdArray.of(s, v);
    }

    @Test void savedOnceRunsAtAnyBatchLikeATraceAtThatBatch() throws IOException {
        GraphTemplate t = GraphFile.readTemplate(new ByteArrayInputStream(save(GraphFileSymbolicTest::model)));
        assertEquals(Map.of("batch", 2), t.symbols());
        assertEquals("x: f32[batch, 4]", t.input("x").toString());
        assertEquals("w: f32[4, 3]", t.input("w").toString());
        for (int b : new int[] {1, 7, 64, 257}) {
            SavedGraph loaded = t.at("batch", b), traced = model(b);
            assertEquals(traced.graph().size(), loaded.graph().size());
            for (int k = 0; k < traced.graph().size(); k++) {
                assertEquals(traced.graph().node(k).op(), loaded.graph().node(k).op(), "node " + k + " at batch " + b);
                assertEquals(traced.graph().node(k).shape(), loaded.graph().node(k).shape());
            }
            NdArray x = random(Shape.of(b, 4), b), w = random(Shape.of(4, 3), 1);
            for (String out : new String[] {"y", "tail"}) {
                NdArray want = Interpreter.run(traced.graph(), Map.of(traced.graph().inputNamed("x"), x, traced.graph().inputNamed("w"), w),
                        traced.output(out));
                NdArray got = Interpreter.run(loaded.graph(), Map.of(loaded.graph().inputNamed("x"), x, loaded.graph().inputNamed("w"), w),
                        loaded.output(out));
                assertEquals(want.shape(), got.shape());
                assertArrayEquals(want.data(), got.data());
            }
        }
        // The plain reader still reads the file: the graph at the stored size.
        assertEquals(Shape.of(2, 4), GraphFile.read(new ByteArrayInputStream(save(GraphFileSymbolicTest::model))).node(0).shape());
    }

    @Test void inlinedIntoAnotherGraphWithSizesSolvedFromTheBoundInputs() throws IOException {
        GraphTemplate t = GraphFile.readTemplate(new ByteArrayInputStream(save(GraphFileSymbolicTest::model)));
        Graph g = new Graph();
        Tensor x = g.input("images", 9, 4), w = g.input("weights", 4, 3);
        Map<String, Tensor> out = t.inline(g, Map.of("x", x, "w", w));
        assertEquals(Shape.of(9, 3), out.get("y").shape());
        assertEquals(Shape.of(10), out.get("tail").shape());
        Tensor loss = out.get("y").sum();  // composes with the caller's nodes
        assertEquals(Shape.SCALAR, loss.shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.inline(g, Map.of("x", g.input("x2", 9, 5), "w", w)));
        assertTrue(e.getMessage().contains("\"x\" is f32[9, 4]") && e.getMessage().contains("bound to f32[9, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.inline(g, Map.of("x", x)));
        assertTrue(e.getMessage().contains("\"w\"") && e.getMessage().contains("not bound"), e.getMessage());
    }

    @Test void aConstantThatDependsOnTheBatchIsRefusedNamingTheNode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> save(b -> {
            Graph g = new Graph();
            Tensor x = g.input("x", b, 4);
            return new SavedGraph(g, Map.of("mean", x.sum().mul(g.constant(1.0 / b))));  // a mean over the batch, 1/B baked in
        }));
        assertTrue(e.getMessage().contains("free batch") && e.getMessage().contains("node %2 (constant, built at GraphFileSymbolicTest.java:")
                && e.getMessage().contains("values or size depend on batch"), e.getMessage());
    }

    @Test void aDimensionNotAffineInTheBatchIsRefusedNamingTheAttribute() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> save(b -> {
            Graph g = new Graph();
            Tensor x = g.input("x", b * b);
            return new SavedGraph(g, Map.of("y", x.neg()));
        }));
        assertTrue(e.getMessage().contains("node %0 (input") && e.getMessage().contains("shape[0] is 4 at batch = 2, 9 at batch = 3")
                && e.getMessage().contains("not of the form a*batch + c"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> save(b -> {
            Graph g = new Graph();
            Tensor x = g.input("x", b, 4);
            return new SavedGraph(g, Map.of("y", x.slice(new int[] {0, 0}, new int[] {Math.min(b, 4), 4})));  // min(B, 4)
        }));
        assertTrue(e.getMessage().contains("node %1 (slice") && e.getMessage().contains("stop[0] is 2 at batch = 2, 3 at batch = 3, 4 at batch = 5"),
                e.getMessage());
    }

    @Test void aStructureThatDependsOnTheBatchIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> save(b -> {
            Graph g = new Graph();
            Tensor x = g.input("x", 4);
            for (int i = 0; i < b; i++) x = x.neg();
            return new SavedGraph(g, Map.of("y", x));
        }));
        assertTrue(e.getMessage().contains("3 nodes at batch = 2 but 4 at batch = 3"), e.getMessage());
    }

    @Test void aCorruptedPatchIsCaught() throws IOException {
        byte[] file = save(GraphFileSymbolicTest::model);
        ByteBuffer b = ByteBuffer.wrap(file);
        int p = 24;
        for (int i = 0, n = b.getInt(20); i < n; i++) p += 4 + b.getInt(p);
        p += 4 + 8 + 4;  // symbol count, one symbol (name, stored size), patch count
        b.putLong(p + 8, b.getLong(p + 8) + 1);  // the first patch's constant term
        GraphFormatException e = assertThrows(GraphFormatException.class,
                () -> GraphFile.readTemplate(new ByteArrayInputStream(GraphFileCorruptionTest.resealed(file))));
        assertTrue(e.getMessage().contains("node 0") && e.getMessage().contains("is stored as 2 but its patch batch + 1 gives 3"), e.getMessage());
    }

    @Test void anOrdinaryGraphIsATemplateWithoutSizes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SavedGraph m = model(5);
        GraphFile.write(m.graph(), m.outputs(), out);
        GraphTemplate t = GraphFile.readTemplate(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(Map.of(), t.symbols());
        assertEquals("x: f32[5, 4]", t.input("x").toString());
        assertEquals(Shape.of(5, 3), t.at(Map.of()).output("y").shape());
    }
}
