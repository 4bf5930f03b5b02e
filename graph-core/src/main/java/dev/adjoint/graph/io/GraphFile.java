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
     * The format version this class writes, and the only one it reads: version 2 added element
     * types (every node's type, an input's, a constant's and an iota's) and the op set v2 tags.
     * Version 1 files predate element types and are refused with a message saying so.
     */
    public static final int FORMAT_VERSION = 2;

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
            CONVERT = 21, CUMSUM = 22, GATHER = 23, TAKE_ALONG_AXIS = 24, SCATTER_ADD = 25, RANDOM_BITS = 26;

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
        byte[] payload = new Encoder().encode(graph, outputs);
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

    /** Encodes one graph: the string table, then the nodes, then the named outputs. */
    private static final class Encoder {
        private final ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream();
        private final DataOutputStream body = new DataOutputStream(bodyBytes);
        /** Each distinct string once; node records refer to it by index + 1 (0 is null). */
        private final Map<String, Integer> strings = new LinkedHashMap<>();

        byte[] encode(Graph graph, Map<String, Tensor> outputs) throws IOException {
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                if (e.getKey() == null) throw new IllegalArgumentException("output names must not be null");
                if (e.getValue().graph() != graph) {
                    throw new IllegalArgumentException("output \"" + e.getKey() + "\" belongs to another graph");
                }
            }
            body.writeInt(graph.size());
            for (Node n : graph.nodes()) node(n);
            body.writeInt(outputs.size());
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                string(e.getKey());
                body.writeInt(e.getValue().id());
            }
            body.flush();
            ByteArrayOutputStream payload = new ByteArrayOutputStream(bodyBytes.size() + 64 * strings.size());
            DataOutputStream out = new DataOutputStream(payload);
            out.writeInt(strings.size());
            for (String s : strings.keySet()) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                out.writeInt(utf8.length);
                out.write(utf8);
            }
            bodyBytes.writeTo(out);
            out.flush();
            if (payload.size() > MAX_PAYLOAD) throw new IOException("graph is too large to save: " + payload.size() + " bytes");
            return payload.toByteArray();
        }

        private void node(Node n) throws IOException {
            // Exhaustive over the sealed Op type: a new primitive does not compile until it has a tag.
            switch (n.op()) {
                case Input in -> { tag(INPUT); string(in.label()); shape(in.shape()); type(in.dtype()); }
                case Constant c -> {
                    tag(CONSTANT);
                    shape(c.shape());
                    type(c.dtype());
                    // Raw bits: NaN payloads and -0.0 survive, so the round trip is bit-exact.
                    for (double v : c.values()) body.writeLong(Double.doubleToRawLongBits(v));
                }
                case Iota io -> { tag(IOTA); shape(io.shape()); body.writeInt(io.axis()); type(io.dtype()); }
                case StopGradient s -> tag(STOP_GRADIENT);
                case Unary u -> { tag(UNARY); string(u.fn().name()); }
                case Binary b -> { tag(BINARY); string(b.fn().name()); }
                case Compare c -> { tag(COMPARE); string(c.comparison().name()); }
                case Select s -> tag(SELECT);
                case BroadcastInDim b -> { tag(BROADCAST_IN_DIM); shape(b.shape()); ints(b.dims()); }
                case Reduce r -> { tag(REDUCE); string(r.fn().name()); ints(r.axes()); }
                case ReduceSum r -> { tag(REDUCE_SUM); ints(r.axes()); }
                case ArgReduce r -> { tag(ARG_REDUCE); string(r.fn().name()); body.writeInt(r.axis()); type(r.indexType()); }
                case Convert c -> { tag(CONVERT); type(c.to()); }
                case Cumsum c -> { tag(CUMSUM); body.writeInt(c.axis()); body.writeByte(c.reverse() ? 1 : 0); }
                case Gather gth -> { tag(GATHER); body.writeInt(gth.axis()); }
                case TakeAlongAxis t -> { tag(TAKE_ALONG_AXIS); body.writeInt(t.axis()); }
                case ScatterAdd sa -> { tag(SCATTER_ADD); body.writeInt(sa.axis()); }
                case RandomBits rb -> { tag(RANDOM_BITS); shape(rb.shape()); }
                case DotGeneral d -> {
                    tag(DOT_GENERAL);
                    ints(d.lhsContract()); ints(d.rhsContract()); ints(d.lhsBatch()); ints(d.rhsBatch());
                }
                case Transpose t -> { tag(TRANSPOSE); ints(t.perm()); }
                case Reshape r -> { tag(RESHAPE); shape(r.shape()); }
                case Pad p -> { tag(PAD); ints(p.lo()); ints(p.hi()); ints(p.interior()); }
                case Slice s -> { tag(SLICE); ints(s.start()); ints(s.stop()); ints(s.step()); }
                case Rev r -> { tag(REV); ints(r.axes()); }
                case Concatenate c -> { tag(CONCATENATE); body.writeInt(c.axis()); }
                case Conv c -> {
                    tag(CONV);
                    ints(c.strides()); ints(c.padLo()); ints(c.padHi()); ints(c.lhsDilation()); ints(c.rhsDilation());
                    body.writeInt(c.groups());
                }
            }
            ints(n.inputs());
            shape(n.shape());
            type(n.dtype());
            StackTraceElement site = n.site();
            if (site == null) {
                body.writeByte(0);
            } else {
                body.writeByte(1);
                string(site.getClassLoaderName());
                string(site.getModuleName());
                string(site.getModuleVersion());
                string(site.getClassName());
                string(site.getMethodName());
                string(site.getFileName());
                body.writeInt(site.getLineNumber());
            }
        }

        private void tag(int tag) throws IOException { body.writeByte(tag); }

        private void string(String s) throws IOException {
            body.writeInt(s == null ? 0 : strings.computeIfAbsent(s, k -> strings.size() + 1));
        }

        private void ints(Ints v) throws IOException {
            body.writeInt(v.size());
            for (int i = 0; i < v.size(); i++) body.writeInt(v.get(i));
        }

        private void shape(Shape s) throws IOException { ints(s.toInts()); }

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
    public static SavedGraph readSaved(InputStream in) throws IOException { return decode(in, false); }

    /**
     * Reads a graph and its named outputs from {@code file}, which must hold nothing else.
     *
     * @throws GraphFormatException if the file is not a valid graph file or has trailing bytes
     */
    public static SavedGraph readSaved(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return decode(in, true);
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

    private static SavedGraph decode(InputStream in, boolean requireEnd) throws IOException {
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
        if (version != FORMAT_VERSION) {
            throw new GraphFormatException("unsupported graph file format version " + Integer.toUnsignedString(version)
                    + " at byte offset " + MAGIC.length + "; this reader reads version " + FORMAT_VERSION
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
        return new Decoder(payload).decode();
    }

    private static GraphFormatException truncated(long end, String what) {
        return new GraphFormatException("truncated graph file: it ends at byte offset " + end + ", inside " + what);
    }

    private static String hex(byte b) { return String.format("%02x", b & 0xff); }

    /** Decodes a checksummed payload; errors name the byte offset in the file and the node index. */
    private static final class Decoder {
        private final ByteBuffer in;
        private String[] strings = new String[0];
        private String context = "the string table";

        Decoder(byte[] payload) { in = ByteBuffer.wrap(payload); }

        SavedGraph decode() throws GraphFormatException {
            int ns = count("string count", 4);
            strings = new String[ns];
            for (int i = 0; i < ns; i++) strings[i] = utf8(count("string length", 1));
            context = "the node table";
            int nodes = count("node count", 1);
            Graph graph = new Graph();
            for (int id = 0; id < nodes; id++) {
                int start = offset();
                context = "node " + id + " (starting at byte offset " + start + ")";
                node(graph, id);
            }
            context = "the output table";
            int no = count("output count", 8);
            Map<String, Tensor> outputs = new LinkedHashMap<>();
            for (int i = 0; i < no; i++) {
                String name = string(false, "output name");
                int at = offset();
                int id = in.getInt();
                if (id < 0 || id >= nodes) throw error(at, "output \"" + name + "\" names node " + id + " but the graph has " + nodes + " nodes");
                if (outputs.put(name, graph.tensor(id)) != null) throw error(at, "output name \"" + name + "\" appears twice");
            }
            if (in.hasRemaining()) {
                throw error(offset(), in.remaining() + " unexpected bytes after the output table at the end of the payload");
            }
            return new SavedGraph(graph, outputs);
        }

        private void node(Graph graph, int id) throws GraphFormatException {
            int tagAt = offset();
            int tag = u8("op tag");
            Supplier<Op> make = switch (tag) {
                case INPUT -> {
                    String label = string(false, "input label");
                    Shape s = shape();
                    DType t = enumValue(DType.class);
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
                case IOTA -> { Shape s = shape(); int axis = i32("axis"); DType t = enumValue(DType.class); yield () -> new Iota(s, axis, t); }
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
                    int axis = i32("axis");
                    DType t = enumValue(DType.class);
                    yield () -> new ArgReduce(fn, axis, t);
                }
                case CONVERT -> { DType t = enumValue(DType.class); yield () -> new Convert(t); }
                case CUMSUM -> {
                    int axis = i32("axis");
                    int at = offset();
                    int reverse = u8("reverse flag");
                    if (reverse > 1) throw error(at, "cumsum reverse flag is " + reverse + ", expected 0 or 1");
                    yield () -> new Cumsum(axis, reverse == 1);
                }
                case GATHER -> { int axis = i32("axis"); yield () -> new Gather(axis); }
                case TAKE_ALONG_AXIS -> { int axis = i32("axis"); yield () -> new TakeAlongAxis(axis); }
                case SCATTER_ADD -> { int axis = i32("axis"); yield () -> new ScatterAdd(axis); }
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
                case CONCATENATE -> { int axis = i32("axis"); yield () -> new Concatenate(axis); }
                case CONV -> {
                    Ints s = ints("strides"), lo = ints("padLo"), hi = ints("padHi"), ld = ints("lhsDilation"), rd = ints("rhsDilation");
                    int groups = i32("groups");
                    yield () -> new Conv(s, lo, hi, ld, rd, groups);
                }
                default -> throw error(tagAt, "unknown op tag " + tag + " (known tags are " + INPUT + ".." + RANDOM_BITS
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
                operands[i] = graph.tensor(input);
            }
            int shapeAt = offset();
            Shape stored = shape();
            int typeAt = offset();
            DType storedType = enumValue(DType.class);
            StackTraceElement site = site();
            Tensor t;
            try {
                // Re-adding through Graph.add re-runs every attribute check and shape rule; the stored
                // call site is attached so that errors name the line that built the node originally.
                t = site == null ? graph.add(make, operands) : graph.withSite(site, () -> graph.add(make, operands));
            } catch (IllegalArgumentException e) {
                throw new GraphFormatException("invalid graph file: " + context + " (op tag at byte offset " + tagAt
                        + ", operands at " + inputsAt + "): " + e.getMessage(), e);
            }
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

        private Ints ints(String what) throws GraphFormatException {
            int n = count(what + " length", 4);
            int[] v = new int[n];
            for (int i = 0; i < n; i++) v[i] = in.getInt();
            return Ints.of(v);
        }

        private Shape shape() throws GraphFormatException {
            int at = offset();
            int n = count("rank", 4);
            int[] dims = new int[n];
            for (int i = 0; i < n; i++) dims[i] = in.getInt();
            try {
                return Shape.of(dims);
            } catch (IllegalArgumentException e) {
                throw error(at, e.getMessage());
            }
        }
    }
}
