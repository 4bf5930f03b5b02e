package dev.adjoint.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.bench.data.Idx;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The IDX reader on files it writes itself, whole and damaged. */
class IdxTest {
    private static byte[] file(int magic, int[] dims, int payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) out.writeInt(d);
        for (int i = 0; i < payload; i++) out.writeByte(i * 7);
        return bytes.toByteArray();
    }

    @Test void readsShapeAndUnsignedBytes() throws IOException {
        Idx.Bytes b = Idx.read(new ByteArrayInputStream(file(0x0803, new int[] {2, 3, 4}, 24)), "t");
        assertArrayEquals(new int[] {2, 3, 4}, b.dims());
        assertEquals(24, b.data().length);
        assertEquals((7 * 23) & 0xff, b.get(23));
        assertTrue(b.get(20) > 127, "bytes are unsigned");
    }

    @Test void damagedFilesGiveClearErrors() throws IOException {
        var truncated = assertThrows(IOException.class, () -> Idx.read(new ByteArrayInputStream(file(0x0801, new int[] {10}, 9)), "t"));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        var magic = assertThrows(IOException.class, () -> Idx.read(new ByteArrayInputStream(file(0x0D03, new int[] {1, 1, 1}, 1)), "t"));
        assertTrue(magic.getMessage().contains("not an IDX file of unsigned bytes"), magic.getMessage());
        var empty = assertThrows(IOException.class, () -> Idx.read(new ByteArrayInputStream(new byte[2]), "t"));
        assertTrue(empty.getMessage().contains("header"), empty.getMessage());
        byte[] header = Arrays.copyOf(file(0x0803, new int[] {2, 3, 4}, 0), 10);
        assertThrows(IOException.class, () -> Idx.read(new ByteArrayInputStream(header), "t"));
    }
}
