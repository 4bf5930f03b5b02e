package dev.adjoint.graph.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgFn;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.TakeAlongAxis;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceFn;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphFileRoundTripTest {

    /** NaN with a payload and the sign bit set: survives only a raw-bits encoding. */
    static final double ODD_NAN = Double.longBitsToDouble(0xfff8_0000_dead_beefL);

    /** A graph with every op record, each with nontrivial attributes. */
    static Graph everyOp() {
        Graph g = new Graph();
        Tensor x = g.input("x \"quoted\" ünïcode", 2, 3, 4);
        Tensor y = g.input("y", 2, 4, 5);
        Tensor c = g.constant(Shape.of(2, 3), ODD_NAN, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, 0.1 + 0.2);
        Tensor io = g.iota(Shape.of(2, 3), 1, DType.F32);
        Tensor ii = g.iota(Shape.of(2, 3), 0, DType.I64);
        Tensor sg = c.stopGradient();
        for (UnaryFn fn : UnaryFn.values()) g.add(new Unary(fn), fn == UnaryFn.NOT ? ii : sg);
        for (BinaryFn fn : BinaryFn.values()) {
            boolean integer = switch (fn) {
                case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> true;
                default -> false;
            };
            if (integer) g.add(new Binary(fn), ii, ii);
            else g.add(new Binary(fn), sg, io);
        }
        Tensor mask = null;
        for (Comparison cmp : Comparison.values()) mask = g.add(new Compare(cmp), c, io);
        g.add(new Convert(DType.I32), c);
        g.add(new Cumsum(1, true), c);
        g.add(new ArgReduce(ArgFn.ARGMIN, 1, DType.I32), c);
        g.add(new Reduce(ReduceFn.PROD, Ints.of(0)), c);
        g.add(new Reduce(ReduceFn.MIN, Ints.of(1)), c);
        g.add(new Gather(1), c, g.constant(DType.I32, Shape.of(2, 2), 0, 2, 2, 1));
        g.add(new TakeAlongAxis(0), c, ii.convert(DType.I32).slice(new int[] {0, 0}, new int[] {1, 3}));
        g.add(new ScatterAdd(1), c, ii, sg);
        g.add(new RandomBits(Shape.of(3, 2)), g.constant(DType.I32, Shape.of(2), 0, 42));
        Tensor sel = g.add(new Select(), mask, c, io);
        Tensor bid = g.add(new BroadcastInDim(Shape.of(2, 5, 3), Ints.of(0, 2)), sel);
        g.add(new ReduceSum(Ints.of(1)), bid);
        g.add(new Reduce(ReduceFn.MAX, Ints.of(0, 2)), bid);
        Tensor dot = g.add(new DotGeneral(Ints.of(2), Ints.of(1), Ints.of(0), Ints.of(0)), x, y);
        assertEquals(Shape.of(2, 3, 5), dot.shape());
        g.add(new Transpose(Ints.of(2, 0, 1)), x);
        g.add(new Reshape(Shape.of(6, 4)), x);
        Tensor pad = g.add(new Pad(Ints.of(1, -1, 0), Ints.of(-1, 2, 1), Ints.of(0, 1, 2)), x);
        assertEquals(Shape.of(2, 6, 11), pad.shape());
        Tensor slice = g.add(new Slice(Ints.of(0, 1, 1), Ints.of(2, 3, 4), Ints.of(1, 2, 2)), x);
        assertEquals(Shape.of(2, 1, 2), slice.shape());
        g.add(new Rev(Ints.of(0, 2)), x);
        g.add(new Concatenate(1), x, x, x);
        Tensor img = g.input("img", 2, 7, 7, 4);
        Tensor k = g.input("k", 3, 3, 2, 6);
        Tensor conv = g.add(new Conv(Ints.of(2, 1), Ints.of(1, -1), Ints.of(0, 2), Ints.of(1, 2), Ints.of(2, 1), 2), img, k);
        assertEquals(Shape.of(2, 2, 12, 6), conv.shape());
        g.add(Conv.simple(1), g.input("seq", 1, 5, 3), g.input("k1", 2, 3, 1));
        Window win = new Window(Ints.of(1, 3, 2, 1), Ints.of(1, 2, 1, 1), Ints.of(0, 1, 0, 0), Ints.of(0, 1, 1, 0), Ints.of(1, 1, 2, 1));
        Tensor pooled = g.add(new WindowMax(win), img);
        g.add(new WindowMaxGather(win), img, img);
        g.add(new WindowMaxScatter(win), img, pooled);
        // the builder API's own nodes (implicit broadcasts, scalar constants) too
        x.matmul(y).add(1.5).relu().mean();
        return g;
    }

    static byte[] bytes(Graph g) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GraphFile.write(g, out);
        return out.toByteArray();
    }

    static void assertSameGraph(Graph expected, Graph actual) {
        assertEquals(expected.size(), actual.size(), "node count");
        for (int i = 0; i < expected.size(); i++) {
            Node e = expected.node(i), a = actual.node(i);
            assertEquals(i, a.id());
            assertEquals(e.op(), a.op(), "op of node " + i);
            assertEquals(e.inputs(), a.inputs(), "inputs of node " + i);
            assertEquals(e.shape(), a.shape(), "shape of node " + i);
            assertEquals(e.dtype(), a.dtype(), "type of node " + i);
            assertEquals(e.site(), a.site(), "call site of node " + i);
            assertEquals(e.where(), a.where());
            if (e.op() instanceof Constant ce && a.op() instanceof Constant ca) {
                // Constant.equals compares NaNs loosely; the format promises the raw bits.
                double[] ve = ce.values(), va = ca.values();
                for (int j = 0; j < ve.length; j++) {
                    assertEquals(Double.doubleToRawLongBits(ve[j]), Double.doubleToRawLongBits(va[j]), "bits of constant " + i + "[" + j + "]");
                }
            }
        }
    }

    /** The records below a sealed interface, through its sealed sub-interfaces. */
    static Set<Class<?>> records(Class<?> sealed) {
        Set<Class<?>> out = new HashSet<>();
        for (Class<?> c : sealed.getPermittedSubclasses()) {
            if (c.isInterface()) out.addAll(records(c));
            else out.add(c);
        }
        return out;
    }

    @Test void everyOpRecordRoundTripsExactly() throws IOException {
        Graph g = everyOp();
        Set<Class<?>> kinds = new HashSet<>();
        for (Node n : g.nodes()) kinds.add(n.op().getClass());
        assertEquals(records(Op.class), kinds, "the test graph must use every op record");

        byte[] written = bytes(g);
        Graph loaded = GraphFile.read(new ByteArrayInputStream(written));
        assertNotSame(g, loaded);
        assertSameGraph(g, loaded);
        assertTrue(loaded.node(0).where().startsWith("GraphFileRoundTripTest.java:"), loaded.node(0).where());
        // Writing the loaded graph again gives the very same bytes: nothing was lost or reordered.
        assertArrayEquals(written, bytes(loaded));
    }

    @Test void specialDoublesKeepTheirBits() throws IOException {
        Graph g = new Graph();
        g.constant(Shape.of(4), ODD_NAN, -0.0, Double.longBitsToDouble(0x7ff0_0000_0000_0001L), Math.nextDown(1.0));
        assertSameGraph(g, GraphFile.read(new ByteArrayInputStream(bytes(g))));
    }

    /** Inputs, constants and iotas of every element type keep their type (and integer constants their values). */
    @Test void everyElementTypeRoundTrips() throws IOException {
        Graph g = new Graph();
        for (DType t : DType.values()) {
            Tensor in = g.input("in_" + t.label(), t, 2);
            g.constant(t, Shape.of(2), 0, 1);
            if (t != DType.BOOL) g.iota(Shape.of(2, 3), 1, t);
            in.convert(t == DType.F32 ? DType.I64 : DType.F32);
        }
        g.constant(DType.I64, Shape.of(2), -9007199254740992.0, 9007199254740992.0); // +-2^53, the i64 range a double holds
        Graph loaded = GraphFile.read(new ByteArrayInputStream(bytes(g)));
        assertSameGraph(g, loaded);
        Set<DType> types = new HashSet<>();
        for (Node n : loaded.nodes()) types.add(n.dtype());
        assertEquals(Set.of(DType.values()), types);
    }

    @Test void emptyGraphRoundTrips() throws IOException {
        Graph loaded = GraphFile.read(new ByteArrayInputStream(bytes(new Graph())));
        assertEquals(0, loaded.size());
    }

    @Test void pathRoundTripWithNamedOutputsAndCounterparts(@TempDir Path dir) throws IOException {
        Graph g = new Graph();
        Tensor x = g.input("x", 3, 4), w = g.input("w", 4, 2);
        Tensor loss = x.matmul(w).tanh().sum();
        Tensor hidden = x.matmul(w);
        Path file = dir.resolve("model.adjg");
        GraphFile.write(g, Map.of("loss", loss), file);
        GraphFile.write(g, Map.of("loss", loss, "hidden", hidden), file); // replaces
        try (var files = Files.list(dir)) { assertEquals(1, files.count(), "no temporary file left behind"); }

        SavedGraph saved = GraphFile.readSaved(file);
        assertSameGraph(g, saved.graph());
        assertEquals(Set.of("loss", "hidden"), saved.outputs().keySet());
        assertEquals(loss.id(), saved.output("loss").id());
        assertSame(saved.graph(), saved.output("hidden").graph());
        assertThrows(IllegalArgumentException.class, () -> saved.output("nope"));

        Graph loaded = GraphFile.read(file);
        Tensor l2 = GraphFile.counterpart(loaded, loss);
        assertSame(loaded, l2.graph());
        assertEquals(loss.id(), l2.id());
        assertEquals(List.of(loaded.tensor(x.id()), loaded.tensor(w.id())), GraphFile.counterparts(loaded, List.of(x, w)));
        assertNotNull(loaded.input("w"));

        Graph other = new Graph();
        Tensor unrelated = other.input("z", 9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GraphFile.counterpart(loaded, unrelated));
        assertTrue(e.getMessage().contains("differs"), e.getMessage());
    }

    @Test void outputsFromAnotherGraphAreRejectedWhenWriting() {
        Graph g = new Graph(), other = new Graph();
        g.input("x", 1);
        Tensor foreign = other.input("y", 1);
        assertThrows(IllegalArgumentException.class,
                () -> GraphFile.write(g, Map.of("y", foreign), new ByteArrayOutputStream()));
    }

    @Test void readingLeavesBytesAfterTheGraphInTheStream() throws IOException {
        Graph g = new Graph();
        g.input("x", 2).exp();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GraphFile.write(g, out);
        GraphFile.write(g, out);
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        assertSameGraph(g, GraphFile.read(in));
        assertSameGraph(g, GraphFile.read(in));
        assertEquals(-1, in.read());
    }
}
