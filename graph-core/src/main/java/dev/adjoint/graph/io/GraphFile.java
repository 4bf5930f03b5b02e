package dev.adjoint.graph.io;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgFn;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceFn;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.TakeAlongAxis;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import dev.adjoint.graph.op.UnaryFn;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * Saves and loads a {@link Graph} in a versioned binary format (layout in graph-core/README.md,
 * "Saving and loading graphs").
 *
 * <p>The round trip is exact: node order and ids, op records (constants bit for bit), inferred
 * shapes and call sites are preserved, so that a shape error or a run-time error in a loaded graph
 * still names the line that originally built the node. Loading re-adds every node through
 * {@link Graph#add(Supplier, Tensor...)}, so every attribute check and shape rule runs again; a
 * file that passes its checksum but describes an invalid graph is rejected like a corrupted one.
 *
 * <p>All integers are big-endian. The whole payload is buffered in memory on both sides (the
 * writer needs its length for the header, the reader verifies the checksum before decoding a
 * single node), so a file is never half-applied.
 */
public final class GraphFile {
    private GraphFile() {}

    /**
     * The format version this class writes: version 3 added symbolic sizes (a symbol table and
     * patches that make shape dimensions and integer attributes affine in named sizes such as the
     * batch; empty for an ordinary graph). Version 2 added element types and the op set v2 tags;
     * version 2 files are still read (they have no symbol tables). Version 1 files predate element
     * types and are refused with a message saying so.
     */
    public static final int FORMAT_VERSION = 3;

    /** The oldest format version this class reads. */
    public static final int OLDEST_READABLE_VERSION = 2;

    /**
     * The 8 magic bytes, PNG style: a non-ASCII first byte so that the file is not mistaken for
     * text, then CR LF, ^Z and LF so that a line-ending conversion in transfer is detected at once.
     */
    private static final byte[] MAGIC = {(byte) 0x89, 'A', 'D', 'J', '\r', '\n', 0x1A, '\n'};

    /** Magic (8 bytes), format version (u32), payload length (u64). */
    private static final int HEADER_BYTES = 20;
    private static final int CHECKSUM_BYTES = 4;
    private static final long MAX_PAYLOAD = Integer.MAX_VALUE - 8;

    // Op tags. They are fixed forever: a new op gets a new tag, a removed op's tag is never reused.
    private static final int INPUT = 1, CONSTANT = 2, IOTA = 3, STOP_GRADIENT = 4, UNARY = 5, BINARY = 6,
            COMPARE = 7, SELECT = 8, BROADCAST_IN_DIM = 9, REDUCE = 10, DOT_GENERAL = 11, TRANSPOSE = 12,
            RESHAPE = 13, PAD = 14, SLICE = 15, REV = 16, CONCATENATE = 17, CONV = 18, REDUCE_SUM = 19, ARG_REDUCE = 20,
            CONVERT = 21, CUMSUM = 22, GATHER = 23, TAKE_ALONG_AXIS = 24, SCATTER_ADD = 25, RANDOM_BITS = 26,
            WINDOW_MAX = 27, WINDOW_MAX_GATHER = 28, WINDOW_MAX_SCATTER = 29;

    // ---- writing -------------------------------------------------------------------------------

    /** Writes {@code graph} to {@code out} (which is flushed, not closed). */
    public static void write(Graph graph, OutputStream out) throws IOException { write(graph, Map.of(), out); }

    /**
     * Writes {@code graph} and its named outputs to {@code out} (which is flushed, not closed).
     *
     * @param outputs names for nodes a loader will want (e.g. {@code "loss"}); handles on {@code graph}
     * @throws IllegalArgumentException if an output belongs to another graph
     */
    public static void write(Graph graph, Map<String, Tensor> outputs, OutputStream out) throws IOException {
        writePayload(new Encoder().encode(graph, outputs), out);
    }

    /** Header, payload, checksum. */
    static void writePayload(byte[] payload, OutputStream out) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(MAGIC).putInt(FORMAT_VERSION).putLong(payload.length);
        CRC32C crc = new CRC32C();
        crc.update(header.array());
        crc.update(payload);
        out.write(header.array());
        out.write(payload);
        out.write(ByteBuffer.allocate(CHECKSUM_BYTES).putInt((int) crc.getValue()).array());
        out.flush();
    }

    /** Writes {@code graph} to {@code file}; see {@link #write(Graph, Map, Path)}. */
    public static void write(Graph graph, Path file) throws IOException { write(graph, Map.of(), file); }

    /**
     * Writes {@code graph} and its named outputs to {@code file}, replacing it. The bytes go to a
     * temporary file in the same directory that is then moved into place, so that a crash while
     * writing never leaves a truncated file under the final name.
     */
    public static void write(Graph graph, Map<String, Tensor> outputs, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                write(graph, outputs, out);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes the graph {@code trace} builds with size {@code symbol} left free (format version 3):
     * {@code trace} is called at a few sizes (2, 3, 5, 16); the graphs must be structurally
     * identical (same nodes, ops, operands, strings and constant values) and each dimension or
     * integer attribute that differs is recorded as {@code a*symbol + c}, fitted at the first two
     * and checked exactly at the others. The stored graph is the one at size 2. Read it back with
     * {@link #readTemplate(Path)} and instantiate it at any size.
     *
     * @param symbol the size's name, e.g. {@code "batch"}
     * @param trace builds the graph and its named outputs at a size
     * @throws IllegalArgumentException naming the node, its call site and the attribute if the graph is not
     *     polymorphic in the size (a constant whose values depend on it, a dimension not affine in it, a structure
     *     that changes with it)
     */
    public static void writeSymbolic(String symbol, IntFunction<SavedGraph> trace, OutputStream out) throws IOException {
        writePayload(Symbolic.payload(symbol, trace), out);
    }

    /** {@link #writeSymbolic(String, IntFunction, OutputStream)} to {@code file}, replacing it atomically. */
    public static void writeSymbolic(String symbol, IntFunction<SavedGraph> trace, Path file) throws IOException {
        byte[] payload = Symbolic.payload(symbol, trace);  // fails before the file is touched
        atomically(file, out -> writePayload(payload, out));
    }

    /**
     * Reads a graph file as a template: its symbolic sizes, inputs and outputs, instantiable at any
     * sizes (a file without symbols too: a template with no sizes). The whole file is checked first.
     */
    public static GraphTemplate readTemplate(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return GraphTemplate.of(file.toString(), check(in, true));
        } catch (GraphFormatException e) {
            throw new GraphFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** {@link #readTemplate(Path)} from a stream, consuming exactly the graph's bytes. */
    public static GraphTemplate readTemplate(InputStream in) throws IOException { return GraphTemplate.of("a stream", check(in, false)); }

    private interface Body { void write(OutputStream out) throws IOException; }

    private static void atomically(Path file, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                body.write(out);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Encodes one graph: the string table, the symbol tables, then the nodes, then the named outputs. */
    static final class Encoder {
        private final ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream();
        private final DataOutputStream body = new DataOutputStream(bodyBytes);
        /** Each distinct string once; node records refer to it by index + 1 (0 is null). */
        final Map<String, Integer> strings = new LinkedHashMap<>();
        /** Per node, in id order: where its record starts and its call site starts in the body, and its slots. */
        final List<NodeRecord> records = new ArrayList<>();
        private List<Integer> slotAt = new ArrayList<>(), slotValue = new ArrayList<>();
        private List<String> slotName = new ArrayList<>();
        Graph graph;
        Map<String, Tensor> outputs;

        /**
         * One node's record in the body: bytes {@code [start, site)} are its op, operands, shape and
         * type; the i32 at body offset {@code slotAt[k]} is slot {@code k}, an integer that may be a
         * symbolic size (a shape dimension or an integer attribute), named {@code slotName[k]}.
         */
        record NodeRecord(int start, int site, int[] slotAt, int[] slotValue, String[] slotName) {}

        Encoder body(Graph graph, Map<String, Tensor> outputs) throws IOException {
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                if (e.getKey() == null) throw new IllegalArgumentException("output names must not be null");
                if (e.getValue().graph() != graph) {
                    throw new IllegalArgumentException("output \"" + e.getKey() + "\" belongs to another graph");
                }
            }
            this.graph = graph;
            this.outputs = outputs;
            body.writeInt(graph.size());
            for (Node n : graph.nodes()) node(n);
            body.writeInt(outputs.size());
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                string(e.getKey());
                body.writeInt(e.getValue().id());
            }
            body.flush();
            return this;
        }

        byte[] bodyArray() { return bodyBytes.toByteArray(); }

        /** The payload: string table, symbol table and patches (format version 3), then the body. */
        byte[] payload(List<Symbolic.Symbol> symbols, List<Symbolic.Patch> patches) throws IOException {
            ByteArrayOutputStream symBytes = new ByteArrayOutputStream();
            DataOutputStream sym = new DataOutputStream(symBytes);
            sym.writeInt(symbols.size());
            for (Symbolic.Symbol s : symbols) {
                sym.writeInt(strings.computeIfAbsent(s.name(), k -> strings.size() + 1));
                sym.writeInt(s.stored());
            }
            sym.writeInt(patches.size());
            for (Symbolic.Patch p : patches) {
                sym.writeInt(p.node());
                sym.writeInt(p.slot());
                sym.writeLong(p.constant());
                for (long a : p.coefficients()) sym.writeLong(a);
            }
            sym.flush();
            ByteArrayOutputStream payload = new ByteArrayOutputStream(bodyBytes.size() + symBytes.size() + 64 * strings.size());
            DataOutputStream out = new DataOutputStream(payload);
            out.writeInt(strings.size());
            for (String s : strings.keySet()) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                out.writeInt(utf8.length);
                out.write(utf8);
            }
            symBytes.writeTo(out);
            bodyBytes.writeTo(out);
            out.flush();
            if (payload.size() > MAX_PAYLOAD) throw new IOException("graph is too large to save: " + payload.size() + " bytes");
            return payload.toByteArray();
        }

        byte[] encode(Graph graph, Map<String, Tensor> outputs) throws IOException {
            return body(graph, outputs).payload(List.of(), List.of());
        }

        private void node(Node n) throws IOException {
            int start = body.size();
            // Exhaustive over the sealed Op type: a new primitive does not compile until it has a tag.
            switch (n.op()) {
                case Input in -> { tag(INPUT); string(in.label()); shape("shape", in.shape()); type(in.dtype()); }
                case Constant c -> {
                    tag(CONSTANT);
                    shape("shape", c.shape());
                    type(c.dtype());
                    // Raw bits: NaN payloads and -0.0 survive, so the round trip is bit-exact.
                    for (double v : c.values()) body.writeLong(Double.doubleToRawLongBits(v));
                }
                case Iota io -> { tag(IOTA); shape("shape", io.shape()); slot("axis", io.axis()); type(io.dtype()); }
                case StopGradient s -> tag(STOP_GRADIENT);
                case Unary u -> { tag(UNARY); string(u.fn().name()); }
                case Binary b -> { tag(BINARY); string(b.fn().name()); }
                case Compare c -> { tag(COMPARE); string(c.comparison().name()); }
                case Select s -> tag(SELECT);
                case BroadcastInDim b -> { tag(BROADCAST_IN_DIM); shape("shape", b.shape()); ints("dims", b.dims()); }
                case Reduce r -> { tag(REDUCE); string(r.fn().name()); ints("axes", r.axes()); }
                case ReduceSum r -> { tag(REDUCE_SUM); ints("axes", r.axes()); }
                case ArgReduce r -> { tag(ARG_REDUCE); string(r.fn().name()); slot("axis", r.axis()); type(r.indexType()); }
                case Convert c -> { tag(CONVERT); type(c.to()); }
                case Cumsum c -> { tag(CUMSUM); slot("axis", c.axis()); body.writeByte(c.reverse() ? 1 : 0); }
                case Gather gth -> { tag(GATHER); slot("axis", gth.axis()); }
                case TakeAlongAxis t -> { tag(TAKE_ALONG_AXIS); slot("axis", t.axis()); }
                case ScatterAdd sa -> { tag(SCATTER_ADD); slot("axis", sa.axis()); }
                case RandomBits rb -> { tag(RANDOM_BITS); shape("shape", rb.shape()); }
                case WindowMax w -> { tag(WINDOW_MAX); window(w.window()); }
                case WindowMaxGather w -> { tag(WINDOW_MAX_GATHER); window(w.window()); }
                case WindowMaxScatter w -> { tag(WINDOW_MAX_SCATTER); window(w.window()); }
                case DotGeneral d -> {
                    tag(DOT_GENERAL);
                    ints("lhsContract", d.lhsContract()); ints("rhsContract", d.rhsContract());
                    ints("lhsBatch", d.lhsBatch()); ints("rhsBatch", d.rhsBatch());
                }
                case Transpose t -> { tag(TRANSPOSE); ints("perm", t.perm()); }
                case Reshape r -> { tag(RESHAPE); shape("shape", r.shape()); }
                case Pad p -> { tag(PAD); ints("lo", p.lo()); ints("hi", p.hi()); ints("interior", p.interior()); }
                case Slice s -> { tag(SLICE); ints("start", s.start()); ints("stop", s.stop()); ints("step", s.step()); }
                case Rev r -> { tag(REV); ints("axes", r.axes()); }
                case Concatenate c -> { tag(CONCATENATE); slot("axis", c.axis()); }
                case Conv c -> {
                    tag(CONV);
                    ints("strides", c.strides()); ints("padLo", c.padLo()); ints("padHi", c.padHi());
                    ints("lhsDilation", c.lhsDilation()); ints("rhsDilation", c.rhsDilation());
                    slot("groups", c.groups());
                }
            }
            Ints operands = n.inputs();
            body.writeInt(operands.size());
            for (int i = 0; i < operands.size(); i++) body.writeInt(operands.get(i));
            shape("output shape", n.shape());
            type(n.dtype());
            int site = body.size();
            records.add(new NodeRecord(start, site, slotAt.stream().mapToInt(Integer::intValue).toArray(),
                    slotValue.stream().mapToInt(Integer::intValue).toArray(), slotName.toArray(new String[0])));
            slotAt = new ArrayList<>();
            slotValue = new ArrayList<>();
            slotName = new ArrayList<>();
            StackTraceElement where = n.site();
            if (where == null) {
                body.writeByte(0);
            } else {
                body.writeByte(1);
                string(where.getClassLoaderName());
                string(where.getModuleName());
                string(where.getModuleVersion());
                string(where.getClassName());
                string(where.getMethodName());
                string(where.getFileName());
                body.writeInt(where.getLineNumber());
            }
        }

        private void tag(int tag) throws IOException { body.writeByte(tag); }

        private void string(String s) throws IOException {
            body.writeInt(s == null ? 0 : strings.computeIfAbsent(s, k -> strings.size() + 1));
        }

        /** An integer that may be symbolic: an attribute or a dimension. */
        private void slot(String name, int v) throws IOException {
            slotAt.add(body.size());
            slotValue.add(v);
            slotName.add(name);
            body.writeInt(v);
        }

        private void ints(String name, Ints v) throws IOException {
            body.writeInt(v.size());
            for (int i = 0; i < v.size(); i++) slot(name + "[" + i + "]", v.get(i));
        }

        private void shape(String name, Shape s) throws IOException { ints(name, s.toInts()); }

        private void window(Window w) throws IOException {
            ints("size", w.size()); ints("strides", w.strides()); ints("padLo", w.padLo()); ints("padHi", w.padHi());
            ints("dilation", w.dilation());
        }

        private void type(DType t) throws IOException { string(t.name()); }
    }

    // ---- reading -------------------------------------------------------------------------------

    /**
     * Reads a graph written by {@link #write(Graph, OutputStream)} from {@code in}, consuming
     * exactly the graph's bytes (anything after them is left unread).
     *
     * @throws GraphFormatException if the bytes are not a valid graph file; no graph is returned
     * @throws IOException if reading {@code in} fails
     */
    public static Graph read(InputStream in) throws IOException { return readSaved(in).graph(); }

    /** Reads a graph from {@code file}; see {@link #readSaved(Path)}. */
    public static Graph read(Path file) throws IOException { return readSaved(file).graph(); }

    /** Reads a graph and its named outputs from {@code in}; see {@link #read(InputStream)}. */
    public static SavedGraph readSaved(InputStream in) throws IOException {
        Checked c = check(in, false);
        return new Decoder(c.payload(), c.version(), null, null, null).decode();
    }

    /**
     * Reads a graph and its named outputs from {@code file}, which must hold nothing else.
     *
     * @throws GraphFormatException if the file is not a valid graph file or has trailing bytes
     */
    public static SavedGraph readSaved(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            Checked c = check(in, true);
            return new Decoder(c.payload(), c.version(), null, null, null).decode();
        } catch (GraphFormatException e) {
            throw new GraphFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The node of {@code loaded} that corresponds to {@code original}, a handle on the graph that
     * was saved: node ids survive the round trip, so this is {@code loaded.tensor(original.id())},
     * checked to be the same op with the same inputs and shape (so that a handle on an unrelated
     * graph fails loudly rather than silently naming the wrong node).
     *
     * @throws IllegalArgumentException if {@code loaded} has no such node
     */
    public static Tensor counterpart(Graph loaded, Tensor original) {
        Node n = original.node();
        if (n.id() >= loaded.size()) {
            throw new IllegalArgumentException("node %" + n.id() + " (" + n.op().name() + ") is not in the loaded graph of "
                    + loaded.size() + " nodes");
        }
        Node m = loaded.node(n.id());
        if (!m.op().equals(n.op()) || !m.inputs().equals(n.inputs()) || !m.shape().equals(n.shape())) {
            throw new IllegalArgumentException("node %" + n.id() + " differs in the loaded graph: saved " + n + ", loaded " + m);
        }
        return loaded.tensor(n.id());
    }

    /** The counterparts of several handles; see {@link #counterpart(Graph, Tensor)}. */
    public static List<Tensor> counterparts(Graph loaded, List<Tensor> originals) {
        List<Tensor> out = new ArrayList<>(originals.size());
        for (Tensor t : originals) out.add(counterpart(loaded, t));
        return out;
    }

    static Checked check(InputStream in, boolean requireEnd) throws IOException {
        byte[] header = in.readNBytes(HEADER_BYTES);
        for (int i = 0; i < Math.min(header.length, MAGIC.length); i++) {
            if (header[i] != MAGIC[i]) {
                throw new GraphFormatException("not an Adjoint graph file: wrong magic byte at byte offset " + i + " (0x"
                        + hex(header[i]) + ", expected 0x" + hex(MAGIC[i]) + ")");
            }
        }
        if (header.length < MAGIC.length + 4) throw truncated(header.length, "the header");
        ByteBuffer h = ByteBuffer.wrap(header);
        int version = h.getInt(MAGIC.length);
        // The version is checked before the checksum: a newer format may checksum differently, and
        // "written by a newer version" is the more useful message.
        if (version < OLDEST_READABLE_VERSION || Integer.compareUnsigned(version, FORMAT_VERSION) > 0) {
            throw new GraphFormatException("unsupported graph file format version " + Integer.toUnsignedString(version)
                    + " at byte offset " + MAGIC.length + "; this reader reads versions " + OLDEST_READABLE_VERSION + " to " + FORMAT_VERSION
                    + (Integer.compareUnsigned(version, FORMAT_VERSION) > 0 ? " (the file was written by a newer Adjoint)"
                    : version == 1 ? " (version 1 files predate element types: rebuild the graph and save it again)" : ""));
        }
        if (header.length < HEADER_BYTES) throw truncated(header.length, "the header");
        long length = h.getLong(MAGIC.length + 4);
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new GraphFormatException("corrupted header: payload length " + length + " at byte offset "
                    + (MAGIC.length + 4) + " is out of range [0, " + MAX_PAYLOAD + "]");
        }
        byte[] payload = in.readNBytes((int) length); // grows as it reads: a bogus length cannot exhaust memory
        if (payload.length < length) {
            throw truncated(HEADER_BYTES + payload.length, "the payload, which the header says ends at byte offset "
                    + (HEADER_BYTES + length));
        }
        byte[] stored = in.readNBytes(CHECKSUM_BYTES);
        if (stored.length < CHECKSUM_BYTES) throw truncated(HEADER_BYTES + length + stored.length, "the checksum");
        CRC32C crc = new CRC32C();
        crc.update(header);
        crc.update(payload);
        int expected = ByteBuffer.wrap(stored).getInt(), actual = (int) crc.getValue();
        if (expected != actual) {
            throw new GraphFormatException("checksum mismatch: the CRC-32C at byte offset " + (HEADER_BYTES + length)
                    + " is 0x" + Integer.toHexString(expected) + " but the header and payload hash to 0x"
                    + Integer.toHexString(actual) + "; the file is corrupted");
        }
        if (requireEnd && in.read() != -1) {
            throw new GraphFormatException("trailing bytes after the checksum at byte offset "
                    + (HEADER_BYTES + length + CHECKSUM_BYTES) + "; a graph file holds one graph");
        }
        return new Checked(version, payload);
    }

    /** A payload whose header and checksum were verified. */
    record Checked(int version, byte[] payload) {}

    private static GraphFormatException truncated(long end, String what) {
        return new GraphFormatException("truncated graph file: it ends at byte offset " + end + ", inside " + what);
    }

    private static String hex(byte b) { return String.format("%02x", b & 0xff); }

    /** Decodes a checksummed payload; errors name the byte offset in the file and the node index. */
    static final class Decoder {
        private final ByteBuffer in;
        private final int version;
        /** The sizes to instantiate symbols at, by name; null for the stored sizes. */
        private final Map<String, Integer> sizes;
        /** The graph to add nodes to (null: a new one) and tensors for its inputs by label (null: new inputs). */
        private final Graph target;
        private final Map<String, Tensor> bindings;
        private String[] strings = new String[0];
        private String context = "the string table";
        private Symbolic.Symbol[] symbols = new Symbolic.Symbol[0];
        private long[] symbolValues = new long[0];
        private Symbolic.Patch[] patches = new Symbolic.Patch[0];
        private int nextPatch;
        private Tensor[] byId = new Tensor[0];
        /** The node being decoded, the index of its next slot, and the dimensions of an input node (for {@link #inputs}). */
        private int nodeId, slotIndex;
        private final List<GraphTemplate.Dim> dimsRead = new ArrayList<>();
        final List<GraphTemplate.InputSpec> inputs = new ArrayList<>();

        Decoder(byte[] payload, int version, Map<String, Integer> sizes, Graph target, Map<String, Tensor> bindings) {
            this.in = ByteBuffer.wrap(payload);
            this.version = version;
            this.sizes = sizes;
            this.target = target;
            this.bindings = bindings;
        }

        List<Symbolic.Symbol> symbols() { return List.of(symbols); }

        SavedGraph decode() throws GraphFormatException {
            int ns = count("string count", 4);
            strings = new String[ns];
            for (int i = 0; i < ns; i++) strings[i] = utf8(count("string length", 1));
            if (version >= 3) symbolTables();
            context = "the node table";
            int nodes = count("node count", 1);
            Graph graph = target != null ? target : new Graph();
            byId = new Tensor[nodes];
            for (int id = 0; id < nodes; id++) {
                int start = offset();
                context = "node " + id + " (starting at byte offset " + start + ")";
                nodeId = id;
                slotIndex = 0;
                node(graph, id);
                if (nextPatch < patches.length && patches[nextPatch].node() == id) {
                    throw error(start, "a patch names slot " + patches[nextPatch].slot() + " but the node has " + slotIndex + " slots");
                }
            }
            if (nextPatch < patches.length) {
                throw new GraphFormatException("invalid graph file: a patch names node " + patches[nextPatch].node() + " but the graph has "
                        + nodes + " nodes");
            }
            if (bindings != null) {
                for (String label : bindings.keySet()) {
                    if (inputs.stream().noneMatch(s -> s.label().equals(label))) {
                        throw new IllegalArgumentException("the saved graph has no input \"" + label + "\"; its inputs are "
                                + inputs.stream().map(GraphTemplate.InputSpec::label).toList());
                    }
                }
            }
            context = "the output table";
            int no = count("output count", 8);
            Map<String, Tensor> outputs = new LinkedHashMap<>();
            for (int i = 0; i < no; i++) {
                String name = string(false, "output name");
                int at = offset();
                int id = in.getInt();
                if (id < 0 || id >= nodes) throw error(at, "output \"" + name + "\" names node " + id + " but the graph has " + nodes + " nodes");
                if (outputs.put(name, byId[id]) != null) throw error(at, "output name \"" + name + "\" appears twice");
            }
            if (in.hasRemaining()) {
                throw error(offset(), in.remaining() + " unexpected bytes after the output table at the end of the payload");
            }
            return new SavedGraph(graph, outputs);
        }

        /** Version 3: the symbols (name, stored size) and the patches, in (node, slot) order. */
        private void symbolTables() throws GraphFormatException {
            context = "the symbol table";
            int n = count("symbol count", 8);
            symbols = new Symbolic.Symbol[n];
            symbolValues = new long[n];
            for (int i = 0; i < n; i++) {
                String name = string(false, "symbol name");
                int at = offset();
                int stored = i32("stored size");
                if (stored < 1) throw error(at, "symbol " + name + " is stored at size " + stored + ", expected >= 1");
                for (int j = 0; j < i; j++) if (symbols[j].name().equals(name)) throw error(at, "symbol " + name + " appears twice");
                symbols[i] = new Symbolic.Symbol(name, stored);
                symbolValues[i] = stored;
            }
            if (sizes != null) {
                for (String k : sizes.keySet()) {
                    if (java.util.Arrays.stream(symbols).noneMatch(s -> s.name().equals(k))) {
                        throw new IllegalArgumentException("the saved graph has no symbolic size \"" + k + "\"; it has "
                                + java.util.Arrays.stream(symbols).map(Symbolic.Symbol::name).toList());
                    }
                }
                for (int i = 0; i < n; i++) {
                    Integer v = sizes.get(symbols[i].name());
                    if (v == null) throw new IllegalArgumentException("no size given for the saved graph's symbolic size " + symbols[i].name());
                    if (v < 1) throw new IllegalArgumentException("size " + symbols[i].name() + " must be >= 1, got " + v);
                    symbolValues[i] = v;
                }
            }
            context = "the patch table";
            int np = count("patch count", 16 + 8 * n);
            patches = new Symbolic.Patch[np];
            for (int i = 0; i < np; i++) {
                int at = offset();
                int node = in.getInt(), slot = in.getInt();
                long c = in.getLong();
                long[] a = new long[n];
                for (int j = 0; j < n; j++) a[j] = in.getLong();
                if (node < 0 || slot < 0 || i > 0 && (node < patches[i - 1].node() || node == patches[i - 1].node() && slot <= patches[i - 1].slot())) {
                    throw error(at, "patch " + i + " (node " + Integer.toUnsignedString(node) + ", slot " + Integer.toUnsignedString(slot)
                            + ") is out of order: patches come sorted by node, then slot, each once");
                }
                patches[i] = new Symbolic.Patch(node, slot, c, a);
            }
        }

        private void node(Graph graph, int id) throws GraphFormatException {
            int tagAt = offset();
            int tag = u8("op tag");
            Supplier<Op> make = switch (tag) {
                case INPUT -> {
                    String label = string(false, "input label");
                    dimsRead.clear();
                    Shape s = shape();
                    DType t = enumValue(DType.class);
                    inputs.add(new GraphTemplate.InputSpec(label, t, List.copyOf(dimsRead)));
                    yield () -> new Input(label, s, t);
                }
                case CONSTANT -> {
                    Shape s = shape();
                    DType t = enumValue(DType.class);
                    need(8L * s.size(), "constant values");
                    double[] v = new double[s.size()];
                    for (int i = 0; i < v.length; i++) v[i] = Double.longBitsToDouble(in.getLong());
                    yield () -> new Constant(s, t, v);
                }
                case IOTA -> { Shape s = shape(); int axis = slot("axis"); DType t = enumValue(DType.class); yield () -> new Iota(s, axis, t); }
                case STOP_GRADIENT -> StopGradient::new;
                case UNARY -> { UnaryFn fn = enumValue(UnaryFn.class); yield () -> new Unary(fn); }
                case BINARY -> { BinaryFn fn = enumValue(BinaryFn.class); yield () -> new Binary(fn); }
                case COMPARE -> { Comparison c = enumValue(Comparison.class); yield () -> new Compare(c); }
                case SELECT -> Select::new;
                case BROADCAST_IN_DIM -> { Shape s = shape(); Ints dims = ints("dims"); yield () -> new BroadcastInDim(s, dims); }
                case REDUCE -> { ReduceFn fn = enumValue(ReduceFn.class); Ints axes = ints("axes"); yield () -> new Reduce(fn, axes); }
                case REDUCE_SUM -> { Ints axes = ints("axes"); yield () -> new ReduceSum(axes); }
                case ARG_REDUCE -> {
                    ArgFn fn = enumValue(ArgFn.class);
                    int axis = slot("axis");
                    DType t = enumValue(DType.class);
                    yield () -> new ArgReduce(fn, axis, t);
                }
                case CONVERT -> { DType t = enumValue(DType.class); yield () -> new Convert(t); }
                case CUMSUM -> {
                    int axis = slot("axis");
                    int at = offset();
                    int reverse = u8("reverse flag");
                    if (reverse > 1) throw error(at, "cumsum reverse flag is " + reverse + ", expected 0 or 1");
                    yield () -> new Cumsum(axis, reverse == 1);
                }
                case GATHER -> { int axis = slot("axis"); yield () -> new Gather(axis); }
                case TAKE_ALONG_AXIS -> { int axis = slot("axis"); yield () -> new TakeAlongAxis(axis); }
                case SCATTER_ADD -> { int axis = slot("axis"); yield () -> new ScatterAdd(axis); }
                case RANDOM_BITS -> { Shape s = shape(); yield () -> new RandomBits(s); }
                case DOT_GENERAL -> {
                    Ints lc = ints("lhsContract"), rc = ints("rhsContract"), lb = ints("lhsBatch"), rb = ints("rhsBatch");
                    yield () -> new DotGeneral(lc, rc, lb, rb);
                }
                case TRANSPOSE -> { Ints perm = ints("perm"); yield () -> new Transpose(perm); }
                case RESHAPE -> { Shape s = shape(); yield () -> new Reshape(s); }
                case PAD -> { Ints lo = ints("lo"), hi = ints("hi"), interior = ints("interior"); yield () -> new Pad(lo, hi, interior); }
                case SLICE -> { Ints a = ints("start"), b = ints("stop"), c = ints("step"); yield () -> new Slice(a, b, c); }
                case REV -> { Ints axes = ints("axes"); yield () -> new Rev(axes); }
                case CONCATENATE -> { int axis = slot("axis"); yield () -> new Concatenate(axis); }
                case CONV -> {
                    Ints s = ints("strides"), lo = ints("padLo"), hi = ints("padHi"), ld = ints("lhsDilation"), rd = ints("rhsDilation");
                    int groups = slot("groups");
                    yield () -> new Conv(s, lo, hi, ld, rd, groups);
                }
                case WINDOW_MAX -> { Ints[] w = window(); yield () -> new WindowMax(new Window(w[0], w[1], w[2], w[3], w[4])); }
                case WINDOW_MAX_GATHER -> { Ints[] w = window(); yield () -> new WindowMaxGather(new Window(w[0], w[1], w[2], w[3], w[4])); }
                case WINDOW_MAX_SCATTER -> { Ints[] w = window(); yield () -> new WindowMaxScatter(new Window(w[0], w[1], w[2], w[3], w[4])); }
                default -> throw error(tagAt, "unknown op tag " + tag + " (known tags are " + INPUT + ".." + WINDOW_MAX_SCATTER
                        + "; the file may come from a newer Adjoint)");
            };
            int inputsAt = offset();
            int n = count("input count", 4);
            Tensor[] operands = new Tensor[n];
            for (int i = 0; i < n; i++) {
                int at = offset();
                int input = in.getInt();
                if (input < 0 || input >= id) {
                    throw error(at, "operand " + i + " is node " + Integer.toUnsignedString(input)
                            + ", out of range: node " + id + " can only use nodes 0.." + (id - 1) + " (nodes come in topological order)");
                }
                operands[i] = byId[input];
            }
            int shapeAt = offset();
            Shape stored = shape();
            int typeAt = offset();
            DType storedType = enumValue(DType.class);
            StackTraceElement site = site();
            Tensor t;
            if (tag == INPUT && bindings != null) {
                t = bound(tagAt, make.get());
            } else try {
                // Re-adding through Graph.add re-runs every attribute check and shape rule; the stored
                // call site is attached so that errors name the line that built the node originally.
                t = site == null ? graph.add(make, operands) : graph.withSite(site, () -> graph.add(make, operands));
            } catch (IllegalArgumentException e) {
                throw new GraphFormatException("invalid graph file: " + context + " (op tag at byte offset " + tagAt
                        + ", operands at " + inputsAt + "): " + e.getMessage(), e);
            }
            byId[id] = t;
            if (!t.shape().equals(stored)) {
                throw error(shapeAt, t.op().name() + ": stored shape " + stored + " differs from the inferred shape " + t.shape());
            }
            if (t.dtype() != storedType) {
                throw error(typeAt, t.op().name() + ": stored type " + storedType.label() + " differs from the inferred type " + t.dtype().label());
            }
        }

        private StackTraceElement site() throws GraphFormatException {
            int at = offset();
            int present = u8("call-site flag");
            if (present == 0) return null;
            if (present != 1) throw error(at, "call-site flag is " + present + ", expected 0 or 1");
            String loader = string(true, "class loader name"), module = string(true, "module name"),
                    version = string(true, "module version"), cls = string(false, "call-site class"),
                    method = string(false, "call-site method"), file = string(true, "call-site file");
            int line = i32("call-site line");
            return new StackTraceElement(loader, module, version, cls, method, file, line);
        }

        private int offset() { return HEADER_BYTES + in.position(); }

        private GraphFormatException error(long at, String message) {
            return new GraphFormatException("invalid graph file at byte offset " + at + ", in " + context + ": " + message);
        }

        private void need(long bytes, String what) throws GraphFormatException {
            if (bytes > in.remaining()) {
                throw error(offset(), "the payload ends at byte offset " + (HEADER_BYTES + in.limit()) + " but " + what
                        + " need " + bytes + " more bytes");
            }
        }

        private int u8(String what) throws GraphFormatException {
            need(1, what);
            return in.get() & 0xff;
        }

        private int i32(String what) throws GraphFormatException {
            need(4, what);
            return in.getInt();
        }

        /** A non-negative count of items of at least {@code itemBytes} bytes each, which must fit in what is left. */
        private int count(String what, int itemBytes) throws GraphFormatException {
            int at = offset();
            int n = i32(what);
            if (n < 0) throw error(at, what + " " + Integer.toUnsignedString(n) + " is too large");
            need((long) n * itemBytes, n + " items of " + what);
            return n;
        }

        private String utf8(int length) throws GraphFormatException {
            int at = offset();
            byte[] b = new byte[length];
            in.get(b);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw error(at, "string is not valid UTF-8");
            }
        }

        private String string(boolean nullable, String what) throws GraphFormatException {
            int at = offset();
            int ref = i32(what);
            if (ref == 0 && nullable) return null;
            if (ref <= 0 || ref > strings.length) {
                throw error(at, what + " refers to string " + Integer.toUnsignedString(ref) + " but the string table holds "
                        + strings.length + (nullable ? "" : " (and it may not be null)"));
            }
            return strings[ref - 1];
        }

        private <E extends Enum<E>> E enumValue(Class<E> type) throws GraphFormatException {
            int at = offset();
            String name = string(false, type.getSimpleName());
            try {
                return Enum.valueOf(type, name);
            } catch (IllegalArgumentException e) {
                throw error(at, "unknown " + type.getSimpleName() + " \"" + name + "\"");
            }
        }

        /** A window's attributes, in the writer's order; the record is made (and validated) with the op. */
        private Ints[] window() throws GraphFormatException {
            return new Ints[] {ints("size"), ints("strides"), ints("padLo"), ints("padHi"), ints("dilation")};
        }

        private Ints ints(String what) throws GraphFormatException {
            int n = count(what + " length", 4);
            int[] v = new int[n];
            for (int i = 0; i < n; i++) v[i] = slot(what);
            return Ints.of(v);
        }

        /**
         * The next slot of the node (an integer attribute or a dimension): the stored value, or, if
         * a patch names the slot, its affine expression in the symbols at the requested sizes.
         */
        private int slot(String what) throws GraphFormatException {
            int at = offset();
            int v = i32(what);
            int k = slotIndex++;
            if (nextPatch < patches.length && patches[nextPatch].node() == nodeId && patches[nextPatch].slot() == k) {
                Symbolic.Patch p = patches[nextPatch++];
                long stored = p.constant(), value = p.constant();
                for (int j = 0; j < symbols.length; j++) {
                    stored += p.coefficients()[j] * symbols[j].stored();
                    value += p.coefficients()[j] * symbolValues[j];
                }
                if (stored != v) {
                    throw error(at, what + " is stored as " + v + " but its patch " + p.describe(symbols) + " gives " + stored
                            + " at the stored sizes");
                }
                if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("node " + nodeId + ": " + what + " = " + p.describe(symbols) + " = " + value
                            + " at " + sizesText() + " does not fit in an int");
                }
                dimsRead.add(new GraphTemplate.Dim(p.constant(), coefficientMap(p)));
                return (int) value;
            }
            dimsRead.add(new GraphTemplate.Dim(v, Map.of()));
            return v;
        }

        private Map<String, Long> coefficientMap(Symbolic.Patch p) {
            Map<String, Long> m = new LinkedHashMap<>();
            for (int j = 0; j < symbols.length; j++) if (p.coefficients()[j] != 0) m.put(symbols[j].name(), p.coefficients()[j]);
            return m;
        }

        private String sizesText() {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < symbols.length; j++) sb.append(j == 0 ? "" : ", ").append(symbols[j].name()).append(" = ").append(symbolValues[j]);
            return sb.toString();
        }

        /** An input node bound to a caller's tensor: same type and (instantiated) shape, or an error naming the input. */
        private Tensor bound(int at, Op op) throws GraphFormatException {
            Input want = (Input) op;
            Tensor t = bindings.get(want.label());
            if (t == null) {
                throw new IllegalArgumentException("the saved graph's input \"" + want.label() + "\" " + want.dtype().label() + want.shape()
                        + " is not bound; bound: " + bindings.keySet());
            }
            if (t.dtype() != want.dtype() || !t.shape().equals(want.shape())) {
                throw new IllegalArgumentException("the saved graph's input \"" + want.label() + "\" is " + want.dtype().label()
                        + want.shape() + (symbols.length > 0 ? " at " + sizesText() : "") + ", bound to " + t.dtype().label() + t.shape());
            }
            for (int j = 0; j < nodeId; j++) {
                if (byId[j] == t) throw new IllegalArgumentException("the saved graph has two inputs labelled \"" + want.label() + "\"");
            }
            return t;
        }

        private Shape shape() throws GraphFormatException {
            int at = offset();
            int n = count("rank", 4);
            int[] dims = new int[n];
            for (int i = 0; i < n; i++) dims[i] = slot("dimension");
            try {
                return Shape.of(dims);
            } catch (IllegalArgumentException e) {
                throw error(at, e.getMessage());
            }
        }
    }
}
