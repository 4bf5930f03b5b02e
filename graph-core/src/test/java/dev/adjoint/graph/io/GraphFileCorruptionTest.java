package dev.adjoint.graph.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgFn;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.Gather;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a file can be broken gives a GraphFormatException saying what and where, never a graph. */
class GraphFileCorruptionTest {

    static byte[] small() {
        Graph g = new Graph();
        Tensor x = g.input("x", 2, 3);
        x.add(g.constant(Shape.of(3), 1, 2, 3)).exp();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            GraphFile.write(g, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static GraphFormatException fails(byte[] file) {
        return assertThrows(GraphFormatException.class, () -> GraphFile.read(new ByteArrayInputStream(file)));
    }

    static void assertMentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks \"" + p + "\": " + e.getMessage());
    }

    /** Recomputes the checksum after a deliberate edit, so that the decoder's own checks are reached. */
    static byte[] resealed(byte[] file) {
        byte[] out = file.clone();
        CRC32C crc = new CRC32C();
        crc.update(out, 0, out.length - 4);
        ByteBuffer.wrap(out).putInt(out.length - 4, (int) crc.getValue());
        return out;
    }

    /**
     * A hand-made version 2 file, following the layout in README.md: version 3 readers still read
     * version 2 (a v2 payload is a v3 payload without the symbol and patch tables).
     */
    static byte[] file(byte[] payload) { return file(2, payload); }

    /** A hand-made file following the layout in README.md: header, payload, CRC-32C. */
    static byte[] file(int version, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length + 4);
        b.put(new byte[] {(byte) 0x89, 'A', 'D', 'J', '\r', '\n', 0x1A, '\n'}).putInt(version).putLong(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** Payload writer for hand-made files. */
    static final class Payload {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);

        Payload strings(String... s) throws IOException {
            out.writeInt(s.length);
            for (String v : s) {
                byte[] u = v.getBytes(StandardCharsets.UTF_8);
                out.writeInt(u.length);
                out.write(u);
            }
            return this;
        }
        Payload i32(int... v) throws IOException { for (int x : v) out.writeInt(x); return this; }
        Payload u8(int v) throws IOException { out.writeByte(v); return this; }
        Payload ints(int... v) throws IOException { out.writeInt(v.length); return i32(v); }
        byte[] done() { return bytes.toByteArray(); }
    }

    @Test void handMadeFileFollowingTheDocumentedLayoutLoads() throws IOException {
        byte[] payload = new Payload().strings("x", "NEG", "Model", "build", "Model.java", "F32")
                .i32(2)
                // node 0: input "x" f32[2, 3], no operands, shape [2, 3], type f32, call site Model.build(Model.java:7)
                .u8(1).i32(1).ints(2, 3).i32(6).ints().ints(2, 3).i32(6).u8(1).i32(0, 0, 0, 3, 4, 5, 7)
                // node 1: neg(node 0), shape [2, 3], type f32, no call site
                .u8(5).i32(2).ints(0).ints(2, 3).i32(6).u8(0)
                .i32(1).i32(2).i32(1) // one output: "NEG" -> node 1
                .done();
        SavedGraph s = GraphFile.readSaved(new ByteArrayInputStream(file(payload)));
        assertEquals(2, s.graph().size());
        assertEquals("Model.java:7", s.graph().node(0).where());
        assertEquals("neg", s.output("NEG").op().name());
        assertEquals(Shape.of(2, 3), s.graph().node(1).shape());
        assertEquals(DType.F32, s.graph().node(1).dtype());
    }

    /** The v2 additions by hand: typed inputs, an i32 constant, gather (tag 23), cumsum (22), argmax (20), convert (21). */
    @Test void handMadeFileWithTheNewOpsAndTypesLoads() throws IOException {
        byte[] payload = new Payload().strings("w", "F64", "ids", "I64", "I32", "ARGMAX")
                .i32(6)
                .u8(1).i32(1).ints(4, 2).i32(2).ints().ints(4, 2).i32(2).u8(0)              // 0: input "w" f64[4, 2]
                .u8(1).i32(3).ints(3).i32(4).ints().ints(3).i32(4).u8(0)                    // 1: input "ids" i64[3]
                .u8(23).i32(0).ints(0, 1).ints(3, 2).i32(2).u8(0)                           // 2: gather(w, ids, axis 0) f64[3, 2]
                .u8(22).i32(0).u8(1).ints(2).ints(3, 2).i32(2).u8(0)                        // 3: cumsum(axis 0, reverse)
                .u8(20).i32(6).i32(1).i32(5).ints(3).ints(3).i32(5).u8(0)                   // 4: argmax(axis 1) -> i32[3]
                .u8(21).i32(5).ints(1).ints(3).i32(5).u8(0)                                 // 5: convert(ids, I32)
                .i32(0).done();
        Graph g = GraphFile.read(new ByteArrayInputStream(file(payload)));
        assertEquals(List.of(DType.F64, DType.I64, DType.F64, DType.F64, DType.I32, DType.I32),
                g.nodes().stream().map(n -> n.dtype()).toList());
        assertEquals(new Gather(0), g.node(2).op());
        assertEquals(new Cumsum(0, true), g.node(3).op());
        assertEquals(new ArgReduce(ArgFn.ARGMAX, 1, DType.I32), g.node(4).op());
        assertEquals(new Convert(DType.I32), g.node(5).op());
        NdArray w = NdArray.of(DType.F64, Shape.of(4, 2), 0, 1, 2, 3, 4, 5, 6, 7);
        NdArray ids = NdArray.of(DType.I64, Shape.of(3), 3, 0, 3);
        // rows 3, 0, 3 = [6 7], [0 1], [6 7]; reverse cumsum down the rows
        assertEquals(NdArray.of(Shape.of(3, 2), 12, 15, 6, 8, 6, 7),
                Interpreter.run(g, Map.of(g.tensor(0), w, g.tensor(1), ids), g.tensor(3)));
    }

    /** Version 1 (before element types) is refused, saying why and what to do. */
    @Test void versionOneFilesAreRefused() throws IOException {
        // a complete, well-formed v1 file: input "x" [2] (no types anywhere in v1)
        byte[] v1 = file(1, new Payload().strings("x").i32(1).u8(1).i32(1).ints(2).ints().ints(2).u8(0).i32(0).done());
        GraphFormatException e = fails(v1);
        assertEquals("unsupported graph file format version 1 at byte offset 8; this reader reads versions 2 to 3"
                + " (version 1 files predate element types: rebuild the graph and save it again)", e.getMessage());
    }

    @Test void everyTruncationIsReported() {
        byte[] file = small();
        for (int len = 0; len < file.length; len++) {
            GraphFormatException e = fails(Arrays.copyOf(file, len));
            assertMentions(e, "truncated", "byte offset " + len);
        }
    }

    @Test void everyFlippedByteIsReported() {
        byte[] file = small();
        for (int i = 0; i < file.length; i++) {
            for (int bit : new int[] {0x01, 0x80, 0xff}) {
                byte[] bad = file.clone();
                bad[i] ^= (byte) bit;
                GraphFormatException e = fails(bad);
                assertTrue(e.getMessage().contains("byte offset") || e.getMessage().contains("version"),
                        "byte " + i + ": " + e.getMessage());
            }
        }
    }

    @Test void wrongMagic() {
        byte[] file = small();
        file[3] = 'X';
        assertMentions(fails(file), "not an Adjoint graph file", "wrong magic byte at byte offset 3");
        assertMentions(fails("digraph {}".getBytes(StandardCharsets.US_ASCII)), "wrong magic byte at byte offset 0");
    }

    @Test void futureVersion() {
        byte[] file = small();
        ByteBuffer.wrap(file).putInt(8, 4);
        assertMentions(fails(file), "unsupported graph file format version 4", "byte offset 8", "reads versions 2 to 3", "newer");
        assertMentions(fails(file(0, new byte[0])), "unsupported graph file format version 0");
        ByteBuffer.wrap(file).putInt(8, -1);
        assertMentions(fails(file), "unsupported graph file format version 4294967295", "newer");
    }

    @Test void badChecksum() {
        byte[] file = small();
        file[file.length - 1] ^= 1;
        assertMentions(fails(file), "checksum mismatch", "byte offset " + (file.length - 4), "corrupted");
        byte[] other = small();
        other[30] ^= 4;
        assertMentions(fails(other), "checksum mismatch");
    }

    @Test void absurdPayloadLength() {
        byte[] file = small();
        ByteBuffer.wrap(file).putLong(12, Long.MAX_VALUE);
        assertMentions(fails(file), "payload length", "byte offset 12");
        ByteBuffer.wrap(file).putLong(12, Integer.MAX_VALUE - 9);
        assertMentions(fails(file), "truncated", "ends at byte offset " + (Integer.MAX_VALUE - 9 + 20L));
    }

    @Test void unknownOpTag() throws IOException {
        byte[] payload = new Payload().strings().i32(1).u8(99).ints().ints().u8(0).i32(0).done();
        int tagOffset = 20 + 4 + 4;
        assertMentions(fails(file(payload)), "unknown op tag 99", "node 0", "byte offset " + tagOffset, "known tags are 1..29");
        assertMentions(fails(file(new Payload().strings().i32(1).u8(0).done())), "unknown op tag 0");
        assertMentions(fails(file(new Payload().strings().i32(1).u8(30).done())), "unknown op tag 30", "newer Adjoint");
    }

    @Test void inputIdOutOfRange() throws IOException {
        byte[] payload = new Payload().strings("x", "EXP", "F32").i32(2)
                .u8(1).i32(1).ints(2).i32(3).ints().ints(2).i32(3).u8(0)
                .u8(5).i32(2).ints(1).ints(2).i32(3).u8(0) // exp(node 1): a node may only use earlier nodes
                .i32(0).done();
        assertMentions(fails(file(payload)), "node 1", "operand 0 is node 1, out of range", "nodes 0..0");
        byte[] negative = new Payload().strings("x", "EXP", "F32").i32(2)
                .u8(1).i32(1).ints(2).i32(3).ints().ints(2).i32(3).u8(0)
                .u8(5).i32(2).ints(-1).ints(2).i32(3).u8(0)
                .i32(0).done();
        assertMentions(fails(file(negative)), "node 1", "out of range");
    }

    @Test void shapeRuleBrokenInsideTheFile() throws IOException {
        byte[] payload = new Payload().strings("x", "y", "ADD", "T", "m", "Model.java", "F32").i32(3)
                .u8(1).i32(1).ints(2).i32(7).ints().ints(2).i32(7).u8(0)
                .u8(1).i32(2).ints(3).i32(7).ints().ints(3).i32(7).u8(0)
                .u8(6).i32(3).ints(0, 1).ints(2).i32(7).u8(1).i32(0, 0, 0, 4, 5, 6, 42)
                .i32(0).done();
        GraphFormatException e = fails(file(payload));
        assertMentions(e, "node 2", "add: operand 1 has shape [3] but operand 0 has shape [2]", "(at Model.java:42)");
        assertInstanceOf(ShapeException.class, e.getCause());
    }

    @Test void typeRuleBrokenInsideTheFile() throws IOException {
        // add(f32[2], i32[2]): the type check runs again on load and names the original line
        byte[] payload = new Payload().strings("x", "y", "ADD", "T", "m", "Model.java", "F32", "I32").i32(3)
                .u8(1).i32(1).ints(2).i32(7).ints().ints(2).i32(7).u8(0)
                .u8(1).i32(2).ints(2).i32(8).ints().ints(2).i32(8).u8(0)
                .u8(6).i32(3).ints(0, 1).ints(2).i32(7).u8(1).i32(0, 0, 0, 4, 5, 6, 42)
                .i32(0).done();
        GraphFormatException e = fails(file(payload));
        assertMentions(e, "node 2", "add: operand types f32 and i32 differ; convert one with convert(x, F32); x: f32[2], y: i32[2]"
                + " (at Model.java:42)");
        assertInstanceOf(ShapeException.class, e.getCause());
        // gather with float indices
        byte[] floatIndices = new Payload().strings("x", "F32").i32(2)
                .u8(1).i32(1).ints(3).i32(2).ints().ints(3).i32(2).u8(0)
                .u8(23).i32(0).ints(0, 0).ints(3).i32(2).u8(0)
                .i32(0).done();
        assertMentions(fails(file(floatIndices)), "node 1", "gather: indices has type f32 but must be an integer type");
        // an i32 constant holding 1.5
        byte[] fraction = new Payload().strings("I32").i32(1)
                .u8(2).ints().i32(1).i32(0x3ff80000, 0).ints().ints().i32(1).u8(0)
                .i32(0).done();
        assertMentions(fails(file(fraction)), "node 0", "constant: value 1.5 at index 0 is not an i32");
    }

    @Test void storedShapeMustMatchTheInferredShape() throws IOException {
        byte[] payload = new Payload().strings("x", "EXP", "F32").i32(2)
                .u8(1).i32(1).ints(2).i32(3).ints().ints(2).i32(3).u8(0)
                .u8(5).i32(2).ints(0).ints(5).i32(3).u8(0)
                .i32(0).done();
        assertMentions(fails(file(payload)), "node 1", "stored shape [5] differs from the inferred shape [2]");
    }

    @Test void storedTypeMustMatchTheInferredType() throws IOException {
        // exp of an f32 input, stored as f64
        byte[] payload = new Payload().strings("x", "EXP", "F32", "F64").i32(2)
                .u8(1).i32(1).ints(2).i32(3).ints().ints(2).i32(3).u8(0)
                .u8(5).i32(2).ints(0).ints(2).i32(4).u8(0)
                .i32(0).done();
        int typeAt = 20 + (4 + 5 + 7 + 7 + 7) + 4 + (1 + 4 + 8 + 4 + 4 + 8 + 4 + 1) + (1 + 4 + 8 + 8);
        assertMentions(fails(file(payload)), "node 1", "byte offset " + typeAt, "exp: stored type f64 differs from the inferred type f32");
        // a comparison stored as f32: comparisons give bool
        byte[] mask = new Payload().strings("x", "LT", "F32").i32(2)
                .u8(1).i32(1).ints(2).i32(3).ints().ints(2).i32(3).u8(0)
                .u8(7).i32(2).ints(0, 0).ints(2).i32(3).u8(0)
                .i32(0).done();
        assertMentions(fails(file(mask)), "node 1", "lt: stored type f32 differs from the inferred type bool");
    }

    @Test void unknownElementType() throws IOException {
        // an input of type "F16": the type follows the label and the shape
        byte[] input = new Payload().strings("x", "F16").i32(1).u8(1).i32(1).ints(2).i32(2).done();
        assertMentions(fails(file(input)), "node 0", "byte offset " + (20 + (4 + 5 + 7) + 4 + 1 + 4 + 8), "unknown DType \"F16\"");
        // the lower-case label is not the stored name either: files store the Java constant name
        byte[] label = new Payload().strings("x", "f32").i32(1).u8(1).i32(1).ints(2).i32(2).done();
        assertMentions(fails(file(label)), "node 0", "unknown DType \"f32\"");
        // the node's own type, after its shape
        byte[] nodeType = new Payload().strings("x", "F32", "BF16").i32(1)
                .u8(1).i32(1).ints(2).i32(2).ints().ints(2).i32(3).u8(0).i32(0).done();
        assertMentions(fails(file(nodeType)), "node 0", "unknown DType \"BF16\"");
        // a convert's target type
        byte[] convert = new Payload().strings("x", "F32", "U8").i32(2)
                .u8(1).i32(1).ints(2).i32(2).ints().ints(2).i32(2).u8(0)
                .u8(21).i32(3).done();
        assertMentions(fails(file(convert)), "node 1", "unknown DType \"U8\"");
        // a type reference that is null (0) or past the table
        assertMentions(fails(file(new Payload().strings("x").i32(1).u8(1).i32(1).ints(2).i32(0).done())),
                "DType refers to string 0", "may not be null");
        assertMentions(fails(file(new Payload().strings("x").i32(1).u8(1).i32(1).ints(2).i32(9).done())),
                "DType refers to string 9", "holds 1");
    }

    @Test void cumsumReverseFlagMustBeZeroOrOne() throws IOException {
        for (int flag : new int[] {2, 0xff}) {
            byte[] payload = new Payload().strings("x", "F32").i32(2)
                    .u8(1).i32(1).ints(3).i32(2).ints().ints(3).i32(2).u8(0)
                    .u8(22).i32(0).u8(flag).ints(0).ints(3).i32(2).u8(0)
                    .i32(0).done();
            int flagAt = 20 + (4 + 5 + 7) + 4 + (1 + 4 + 8 + 4 + 4 + 8 + 4 + 1) + 1 + 4;
            assertMentions(fails(file(payload)), "node 1", "byte offset " + flagAt, "cumsum reverse flag is " + flag + ", expected 0 or 1");
        }
        // and the flags that are valid load
        for (int flag : new int[] {0, 1}) {
            byte[] payload = new Payload().strings("x", "F32").i32(2)
                    .u8(1).i32(1).ints(3).i32(2).ints().ints(3).i32(2).u8(0)
                    .u8(22).i32(0).u8(flag).ints(0).ints(3).i32(2).u8(0)
                    .i32(0).done();
            assertEquals(new Cumsum(0, flag == 1), GraphFile.read(new ByteArrayInputStream(file(payload))).node(1).op());
        }
    }

    @Test void invalidAttributesAndReferences() throws IOException {
        // a negative size in a stored shape
        assertMentions(fails(file(new Payload().strings("x").i32(1).u8(1).i32(1).ints(-2).done())),
                "node 0", "size -2 of axis 0 is negative");
        // a string reference past the table
        assertMentions(fails(file(new Payload().strings("x").i32(1).u8(1).i32(7).done())),
                "input label refers to string 7", "holds 1");
        // an unknown enum constant
        assertMentions(fails(file(new Payload().strings("x", "COSH", "F32").i32(2)
                .u8(1).i32(1).ints(2).i32(3).ints().ints(2).i32(3).u8(0).u8(5).i32(2).done())), "unknown UnaryFn \"COSH\"");
        // a count larger than the bytes that follow
        assertMentions(fails(file(new Payload().i32(1_000_000).done())), "string count", "more bytes");
        // an output naming a missing node
        assertMentions(fails(file(new Payload().strings("out").i32(0).i32(1).i32(1).i32(3).done())),
                "output \"out\" names node 3");
        // bytes left over
        assertMentions(fails(file(new Payload().strings().i32(0).i32(0).u8(7).done())), "1 unexpected bytes");
        // an attribute rejected by the op record (transpose perm [0, 0])
        assertMentions(fails(file(new Payload().strings("x", "F32").i32(2)
                .u8(1).i32(1).ints(2, 2).i32(2).ints().ints(2, 2).i32(2).u8(0)
                .u8(12).ints(0, 0).ints(0).ints(2, 2).i32(2).u8(0).i32(0).done())), "node 1", "transpose: attribute perm [0, 0] is not a permutation");
        // an axis rejected by the op record (gather axis -1)
        assertMentions(fails(file(new Payload().strings("x", "F32", "I32").i32(3)
                .u8(1).i32(1).ints(2, 2).i32(2).ints().ints(2, 2).i32(2).u8(0)
                .u8(1).i32(1).ints(2).i32(3).ints().ints(2).i32(3).u8(0)
                .u8(23).i32(-1).ints(0, 1).ints(2, 2).i32(2).u8(0).i32(0).done())), "node 2", "gather: attribute axis -1 is negative");
    }

    @Test void pathReadingNamesTheFileAndRejectsTrailingBytes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("g.adjg");
        byte[] good = small();
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        Files.write(file, longer);
        assertMentions(assertThrows(GraphFormatException.class, () -> GraphFile.read(file)), file.toString(), "trailing bytes",
                "byte offset " + good.length);
        Files.write(file, Arrays.copyOf(good, 10));
        assertMentions(assertThrows(GraphFormatException.class, () -> GraphFile.read(file)), file.toString(), "truncated");
    }

    @Test void resealedEditsReachTheDecoder() {
        // flipping the op tag of node 0 in a real file, with a valid checksum, is still caught
        byte[] file = small();
        int stringCount = ByteBuffer.wrap(file).getInt(20);
        int p = 24;
        for (int i = 0; i < stringCount; i++) p += 4 + ByteBuffer.wrap(file).getInt(p);
        p += 4 + 4; // v3: symbol count 0, patch count 0
        p += 4; // node count
        file[p] = (byte) 200;
        assertMentions(fails(resealed(file)), "unknown op tag 200", "node 0", "byte offset " + p);
    }
}
