package dev.adjoint.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.bench.data.FashionMnist;
import dev.adjoint.bench.data.Idx;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regression tests of issue 11 #10 and #11: data files that lie about their size or are not what their name says. */
class DataErrorsTest {
    @TempDir Path dir;

    private static byte[] header(int... dims) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(0x0800 | dims.length);
        for (int d : dims) out.writeInt(d);
        return b.toByteArray();
    }

    /** #10: a 16-byte header claiming 2^31 - 16 elements is refused by the file's size, before any allocation. */
    @Test void aHeaderMayNotClaimMoreThanTheFileHolds() throws IOException {
        Path f = dir.resolve("big-idx1-ubyte");
        Files.write(f, header(46341, 46340)); // ~2^31 elements, 12 bytes
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        var e = assertThrows(IOException.class, () -> Idx.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("only 0 bytes after it"), e.getMessage());
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(after - before < 256L << 20, "allocated " + (after - before) + " bytes");
    }

    /** #10: gzipped, the size is unknown, so memory follows the data present: a lying header ends in "truncated", not 2 GB. */
    @Test void aGzippedLiarIsReadInChunks() throws IOException {
        Path f = dir.resolve("big-idx1-ubyte.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(header(Integer.MAX_VALUE - 16));
            out.write(new byte[100]);
        }
        var e = assertThrows(IOException.class, () -> Idx.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    /** #11: an empty .gz, a non-gzip .gz and a missing file name the file and what was expected. */
    @Test void badFilesNameTheFileAndWhatWasExpected() throws IOException {
        Path empty = dir.resolve("empty-idx1-ubyte.gz");
        Files.write(empty, new byte[0]);
        var e1 = assertThrows(IOException.class, () -> Idx.read(empty));
        assertTrue(e1.getMessage().contains(empty.toString()) && e1.getMessage().contains("empty") && e1.getMessage().contains("gzip"), e1.getMessage());
        Path plain = dir.resolve("plain-idx1-ubyte.gz");
        Files.write(plain, header(3));
        var e2 = assertThrows(IOException.class, () -> Idx.read(plain));
        assertTrue(e2.getMessage().contains(plain.toString()) && e2.getMessage().contains("not a gzip file"), e2.getMessage());
        Path missing = dir.resolve("missing-idx1-ubyte.gz");
        var e3 = assertThrows(IOException.class, () -> Idx.read(missing));
        assertTrue(e3.getMessage().contains(missing.toString()) && e3.getMessage().contains("no such file"), e3.getMessage());
        // corrupt gzip data after a valid gzip header
        Path corrupt = dir.resolve("corrupt-idx1-ubyte.gz");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(b)) { out.write(header(3)); out.write(new byte[3]); }
        byte[] bytes = b.toByteArray();
        for (int i = 12; i < bytes.length - 8; i++) bytes[i] ^= (byte) 0x5a;
        Files.write(corrupt, bytes);
        var e4 = assertThrows(IOException.class, () -> Idx.read(corrupt));
        assertTrue(e4.getMessage().contains(corrupt.toString()), e4.getMessage());
    }

    /** #11: a Fashion-MNIST directory missing one t10k file names that file. */
    @Test void aMissingTestFileIsNamed() throws IOException {
        for (String f : new String[] {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            Files.write(dir.resolve(f), new byte[0]);
        }
        var e = assertThrows(IOException.class, () -> FashionMnist.test(dir));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz is missing"), e.getMessage());
        assertEquals(true, e.getMessage().contains(dir.toString()));
    }
}
