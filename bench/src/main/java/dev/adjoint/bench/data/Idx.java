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

    /** Reads a (possibly gzipped, by the {@code .gz} suffix) IDX file of unsigned bytes. */
    public static Bytes read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
            return read(in, file.toString());
        }
    }

    /** Reads an IDX stream of unsigned bytes; {@code name} is used in errors. */
    public static Bytes read(InputStream stream, String name) throws IOException {
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
            byte[] data = new byte[(int) count];
            in.readFully(data);
            return new Bytes(dims, data);
        } catch (EOFException e) {
            throw new IOException(name + ": truncated: the header promises " + count + " elements of shape "
                    + java.util.Arrays.toString(dims));
        }
    }
}
