package dev.adjoint.bench.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.SavedGraph;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The graph file format (v2) on real graphs: every conformance case's graph with its reverse-mode
 * derivative, in f32 and in f64, survives a save and load node for node (op, inputs, shape, type)
 * and computes bit-identical values in the interpreter. This reaches every op and element type
 * the builder and autodiff produce, not only the hand-picked ones of GraphFileRoundTripTest.
 */
class CaseGraphFileTest {
    @Test void everyCaseGraphAndItsVjpRoundTrips() throws IOException {
        List<ConformanceCase> cases = ConformanceCase.loadAll(ConformanceTest.casesDir());
        int graphs = 0;
        for (DType floatType : List.of(DType.F32, DType.F64)) {
            for (ConformanceCase c : cases) {
                Graph g = new Graph();
                List<Tensor> in = new ArrayList<>(), wrt = new ArrayList<>();
                Map<Tensor, NdArray> feeds = new HashMap<>();
                for (ConformanceCase.Input i : c.inputs()) {
                    Tensor t = g.input(i.name(), i.integer() ? DType.I64 : floatType, i.value().shape());
                    in.add(t);
                    if (!i.integer()) wrt.add(t);
                    feeds.put(t, i.value());
                }
                Map<String, Tensor> outputs = new LinkedHashMap<>();
                Tensor out = CaseGraphs.build(c, g, in);
                outputs.put("out", out);
                if (c.cotangent() != null) {
                    Tensor ct = g.input("__cotangent", floatType, c.cotangent().shape());
                    feeds.put(ct, c.cotangent());
                    List<Tensor> vjp = Autodiff.vjp(List.of(out), List.of(ct), wrt);
                    for (int k = 0; k < vjp.size(); k++) outputs.put("vjp" + k, vjp.get(k));
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                GraphFile.write(g, outputs, bytes);
                SavedGraph saved = GraphFile.readSaved(new ByteArrayInputStream(bytes.toByteArray()));
                Graph loaded = saved.graph();
                assertEquals(g.size(), loaded.size(), c.id());
                for (int id = 0; id < g.size(); id++) {
                    Node a = g.node(id), b = loaded.node(id);
                    assertEquals(a.op(), b.op(), c.id() + " node " + id);
                    assertEquals(a.inputs(), b.inputs(), c.id() + " node " + id);
                    assertEquals(a.shape(), b.shape(), c.id() + " node " + id);
                    assertEquals(a.dtype(), b.dtype(), c.id() + " node " + id);
                }
                Map<Tensor, NdArray> loadedFeeds = new HashMap<>();
                for (var e : feeds.entrySet()) loadedFeeds.put(GraphFile.counterpart(loaded, e.getKey()), e.getValue());
                List<Tensor> before = new ArrayList<>(outputs.values()), after = new ArrayList<>();
                for (String name : outputs.keySet()) after.add(saved.output(name));
                List<NdArray> want = Interpreter.run(g, feeds, before), got = Interpreter.run(loaded, loadedFeeds, after);
                for (int k = 0; k < want.size(); k++) {
                    assertEquals(want.get(k).dtype(), got.get(k).dtype(), c.id() + " output " + k);
                    assertArrayEquals(want.get(k).data(), got.get(k).data(), c.id() + " output " + k);
                }
                graphs++;
            }
        }
        assertEquals(2 * cases.size(), graphs);
    }
}
