package dev.adjoint.bench.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST family's format: a magic number giving the element type and rank,
 * the dimensions as big-endian ints, then the data), plain or gzipped, unsigned bytes only.
 */
public final class Idx {
    private Idx() {}

    /**
     * An IDX tensor of unsigned bytes.
     *
     * @param dims the dimensions
     * @param data the elements, row-major, each in [0, 255]
     */
    public record Bytes(int[] dims, byte[] data) {
        /** Element {@code i} as an int in [0, 255]. */
        public int get(int i) { return data[i] & 0xff; }
    }

    /**
     * Reads a (possibly gzipped, by the {@code .gz} suffix) IDX file of unsigned bytes. Every error
     * names the file and what was expected: a missing file, an empty one, one that is not gzip, a
     * corrupt gzip stream (before, these printed {@code null}, {@code Not in GZIP format} or a bare
     * path). A plain file may claim no more elements than it has bytes after its header.
     */
    public static Bytes read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file (expected an IDX file of unsigned bytes)");
        long size = Files.size(file);
        boolean gz = file.getFileName().toString().endsWith(".gz");
        if (size == 0) {
            throw new IOException(file + ": the file is empty (expected " + (gz ? "a gzip-compressed " : "an ") + "IDX file of unsigned bytes)");
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            InputStream in;
            if (gz) {
                try {
                    in = new GZIPInputStream(raw);
                } catch (java.util.zip.ZipException | EOFException e) {
                    throw new IOException(file + ": not a gzip file (" + e.getMessage() + "); a name ending in .gz must hold a"
                            + " gzip-compressed IDX file", e);
                }
            } else in = raw;
            return read(in, file.toString(), gz ? Long.MAX_VALUE : size);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            throw new IOException(file + ": the gzip stream ends early (" + e.getMessage() + ")", e);
        }
    }

    /** Reads an IDX stream of unsigned bytes; {@code name} is used in errors. */
    public static Bytes read(InputStream stream, String name) throws IOException {
        return read(stream, name, Long.MAX_VALUE);
    }

    /** Elements read per chunk while the data is not yet known to be there. */
    private static final int CHUNK = 1 << 20;

    /**
     * Reads an IDX stream of at most {@code bytes} bytes. The header's element count is never
     * allocated up front: a 16-byte header may claim 2^31 elements (issue 11). A count beyond the
     * known size is refused at once; otherwise the data is read in growing chunks, so memory
     * follows the bytes actually present.
     */
    static Bytes read(InputStream stream, String name, long bytes) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new IOException(name + ": empty or truncated IDX header");
        }
        if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != 0x08) {
            throw new IOException(name + ": not an IDX file of unsigned bytes (magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x000008NN)");
        }
        int rank = magic & 0xff;
        if (rank < 1 || rank > 8) throw new IOException(name + ": IDX rank " + rank + " is out of range 1..8");
        int[] dims = new int[rank];
        long count = 1;
        try {
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) throw new IOException(name + ": dimension " + i + " is negative (" + dims[i] + ")");
                count *= dims[i];
                if (count > Integer.MAX_VALUE - 8) throw new IOException(name + ": " + count + "+ elements is too many");
            }
            long remaining = bytes - 4L * (rank + 1);
            if (count > remaining) {
                throw new IOException(name + ": the header promises " + count + " elements of shape " + java.util.Arrays.toString(dims)
                        + " but the file has only " + Math.max(0, remaining) + " bytes after it");
            }
            byte[] data = new byte[(int) Math.min(count, CHUNK)];
            int filled = 0;
            while (filled < count) {
                if (filled == data.length) data = java.util.Arrays.copyOf(data, (int) Math.min(count, 2L * data.length));
                int r = in.read(data, filled, data.length - filled);
                if (r < 0) throw new EOFException();
                filled += r;
            }
            return new Bytes(dims, data);
        } catch (EOFException e) {
            throw new IOException(name + ": truncated: the header promises " + count + " elements of shape "
                    + java.util.Arrays.toString(dims));
        }
    }
}
