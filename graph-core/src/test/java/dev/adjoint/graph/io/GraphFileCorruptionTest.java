package dev.adjoint.graph.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.ShapeException;
import dev.adjoint.graph.Tensor;
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
        byte[] payload = new Payload().strings("x", "NEG", "Model", "build", "Model.java")
                .i32(2)
                // node 0: input "x" [2, 3], no operands, shape [2, 3], call site Model.build(Model.java:7)
                .u8(1).i32(1).ints(2, 3).ints().ints(2, 3).u8(1).i32(0, 0, 0, 3, 4, 5, 7)
                // node 1: neg(node 0), shape [2, 3], no call site
                .u8(5).i32(2).ints(0).ints(2, 3).u8(0)
                .i32(1).i32(2).i32(1) // one output: "NEG" -> node 1
                .done();
        SavedGraph s = GraphFile.readSaved(new ByteArrayInputStream(file(1, payload)));
        assertEquals(2, s.graph().size());
        assertEquals("Model.java:7", s.graph().node(0).where());
        assertEquals("neg", s.output("NEG").op().name());
        assertEquals(Shape.of(2, 3), s.graph().node(1).shape());
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
        ByteBuffer.wrap(file).putInt(8, 2);
        assertMentions(fails(file), "unsupported graph file format version 2", "byte offset 8", "reads version 1", "newer");
        assertMentions(fails(file(0, new byte[0])), "unsupported graph file format version 0");
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
        assertMentions(fails(file(1, payload)), "unknown op tag 99", "node 0", "byte offset " + tagOffset);
        assertMentions(fails(file(1, new Payload().strings().i32(1).u8(0).done())), "unknown op tag 0");
    }

    @Test void inputIdOutOfRange() throws IOException {
        byte[] payload = new Payload().strings("x", "EXP").i32(2)
                .u8(1).i32(1).ints(2).ints().ints(2).u8(0)
                .u8(5).i32(2).ints(1).ints(2).u8(0) // exp(node 1): a node may only use earlier nodes
                .i32(0).done();
        assertMentions(fails(file(1, payload)), "node 1", "operand 0 is node 1, out of range", "nodes 0..0");
        byte[] negative = new Payload().strings("x", "EXP").i32(2)
                .u8(1).i32(1).ints(2).ints().ints(2).u8(0)
                .u8(5).i32(2).ints(-1).ints(2).u8(0)
                .i32(0).done();
        assertMentions(fails(file(1, negative)), "node 1", "out of range");
    }

    @Test void shapeRuleBrokenInsideTheFile() throws IOException {
        byte[] payload = new Payload().strings("x", "y", "ADD", "T", "m", "Model.java").i32(3)
                .u8(1).i32(1).ints(2).ints().ints(2).u8(0)
                .u8(1).i32(2).ints(3).ints().ints(3).u8(0)
                .u8(6).i32(3).ints(0, 1).ints(2).u8(1).i32(0, 0, 0, 4, 5, 6, 42)
                .i32(0).done();
        GraphFormatException e = fails(file(1, payload));
        assertMentions(e, "node 2", "add: operand 1 has shape [3] but operand 0 has shape [2]", "(at Model.java:42)");
        assertInstanceOf(ShapeException.class, e.getCause());
    }

    @Test void storedShapeMustMatchTheInferredShape() throws IOException {
        byte[] payload = new Payload().strings("x", "EXP").i32(2)
                .u8(1).i32(1).ints(2).ints().ints(2).u8(0)
                .u8(5).i32(2).ints(0).ints(5).u8(0)
                .i32(0).done();
        assertMentions(fails(file(1, payload)), "node 1", "stored shape [5] differs from the inferred shape [2]");
    }

    @Test void invalidAttributesAndReferences() throws IOException {
        // a negative size in a stored shape
        assertMentions(fails(file(1, new Payload().strings("x").i32(1).u8(1).i32(1).ints(-2).done())),
                "node 0", "size -2 of axis 0 is negative");
        // a string reference past the table
        assertMentions(fails(file(1, new Payload().strings("x").i32(1).u8(1).i32(7).done())),
                "input label refers to string 7", "holds 1");
        // an unknown enum constant
        assertMentions(fails(file(1, new Payload().strings("x", "COSH").i32(2)
                .u8(1).i32(1).ints(2).ints().ints(2).u8(0).u8(5).i32(2).done())), "unknown UnaryFn \"COSH\"");
        // a count larger than the bytes that follow
        assertMentions(fails(file(1, new Payload().i32(1_000_000).done())), "string count", "more bytes");
        // an output naming a missing node
        assertMentions(fails(file(1, new Payload().strings("out").i32(0).i32(1).i32(1).i32(3).done())),
                "output \"out\" names node 3");
        // bytes left over
        assertMentions(fails(file(1, new Payload().strings().i32(0).i32(0).u8(7).done())), "1 unexpected bytes");
        // an attribute rejected by the op record (transpose perm [0, 0])
        assertMentions(fails(file(1, new Payload().strings("x").i32(2)
                .u8(1).i32(1).ints(2, 2).ints().ints(2, 2).u8(0)
                .u8(12).ints(0, 0).ints(0).ints(2, 2).u8(0).i32(0).done())), "node 1", "transpose: attribute perm [0, 0] is not a permutation");
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
        p += 4; // node count
        file[p] = (byte) 200;
        assertMentions(fails(resealed(file)), "unknown op tag 200", "node 0", "byte offset " + p);
    }
}
