package dev.adjoint.train;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face's): an 8-byte little-endian header length {@code N}, a
 * JSON header of {@code N} bytes ({@code {"name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}}}, padded with spaces),
 * then the tensors' raw little-endian bytes. Tensors keep their type (f32 stays f32); names keep
 * the order they are written in. Reading checks everything, so a truncated or corrupt file gets
 * an error naming the file and what is wrong, never a wrong tensor.
 */
public final class Safetensors {
    private Safetensors() {}

    /**
     * A file's contents.
     *
     * @param tensors by name, in header order sorted by offset
     * @param metadata the {@code __metadata__} strings
     */
    public record Contents(Map<String, HostArray> tensors, Map<String, String> metadata) {}

    private static String code(DType t) {
        return switch (t) {
            case F32 -> "F32";
            case F64 -> "F64";
            case I32 -> "I32";
            case I64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    private static int width(DType t) {
        return switch (t) {
            case F32, I32 -> 4;
            case F64, I64 -> 8;
            case BOOL -> 1;
        };
    }

    /** Writes {@code tensors} (in order) and {@code metadata} to {@code file}. */
    public static void write(Path file, Map<String, HostArray> tensors, Map<String, String> metadata) throws IOException {
        StringBuilder h = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            boolean first = true;
            for (var e : metadata.entrySet()) {
                if (!first) h.append(',');
                first = false;
                h.append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            }
            h.append('}');
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            HostArray a = e.getValue();
            long bytes = (long) a.shape().size() * width(a.dtype());
            if (h.length() > 1) h.append(',');
            h.append(Json.quote(e.getKey())).append(":{\"dtype\":\"").append(code(a.dtype())).append("\",\"shape\":[");
            for (int i = 0; i < a.shape().rank(); i++) h.append(i == 0 ? "" : ",").append(a.shape().dim(i));
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        h.append('}');
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        // Padded with spaces so the data starts 8-byte aligned, as the reference writer does.
        byte[] header = java.util.Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        java.util.Arrays.fill(header, json.length, header.length, (byte) ' ');
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(8 + header.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header);
        for (HostArray a : tensors.values()) {
            switch (a.data()) {
                case float[] f -> buf.asFloatBuffer().put(f);
                case double[] d -> buf.asDoubleBuffer().put(d);
                case int[] i -> buf.asIntBuffer().put(i);
                case long[] l -> buf.asLongBuffer().put(l);
                case boolean[] b -> {
                    for (boolean v : b) buf.put(buf.position(), (byte) (v ? 1 : 0)).position(buf.position() + 1);
                    continue;
                }
                default -> throw new IllegalStateException();
            }
            buf.position(buf.position() + a.shape().size() * width(a.dtype()));
        }
        Files.write(file, buf.array());
    }

    /**
     * Reads {@code file}.
     *
     * @throws IOException naming the file and the fault if it is truncated, its header is not valid JSON, a tensor's
     *     type is unsupported, or its offsets do not match its shape or the file
     */
    public static Contents read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        if (all.length < 8) throw bad(file, "it has " + all.length + " bytes, fewer than the 8 of the header length");
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong();
        if (n < 2 || n > all.length - 8) {
            throw bad(file, "the header length " + n + " does not fit in the file's " + all.length + " bytes (truncated?)");
        }
        String json = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw bad(file, "the header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> header)) throw bad(file, "the header is not a JSON object");
        long dataStart = 8 + n, dataLength = all.length - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Map.Entry<String, long[]>> order = new ArrayList<>();
        Map<String, HostArray> tensors = new LinkedHashMap<>();
        Map<String, Object[]> entries = new LinkedHashMap<>();
        for (var e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw bad(file, "__metadata__ is not an object");
                for (var me : m.entrySet()) metadata.put((String) me.getKey(), String.valueOf(me.getValue()));
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> t)) throw bad(file, "tensor " + name + "'s entry is not an object");
            DType type = switch (String.valueOf(t.get("dtype"))) {
                case "F32" -> DType.F32;
                case "F64" -> DType.F64;
                case "I32" -> DType.I32;
                case "I64" -> DType.I64;
                case "BOOL" -> DType.BOOL;
                default -> throw bad(file, "tensor " + name + " has dtype " + t.get("dtype") + "; supported: F32, F64, I32, I64, BOOL");
            };
            if (!(t.get("shape") instanceof List<?> shapeList) || !(t.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
                throw bad(file, "tensor " + name + " needs a shape list and data_offsets [begin, end]");
            }
            int[] dims = new int[shapeList.size()];
            long count = 1;
            for (int i = 0; i < dims.length; i++) {
                long d = ((Number) shapeList.get(i)).longValue();
                if (d < 0 || d > Integer.MAX_VALUE) throw bad(file, "tensor " + name + " has a bad size " + d);
                dims[i] = (int) d;
                count *= d;
            }
            long begin = ((Number) offs.get(0)).longValue(), end = ((Number) offs.get(1)).longValue();
            if (begin < 0 || end < begin || end > dataLength) {
                throw bad(file, "tensor " + name + "'s data_offsets [" + begin + ", " + end + "] fall outside the " + dataLength
                        + " data bytes (truncated?)");
            }
            if (end - begin != count * width(type)) {
                throw bad(file, "tensor " + name + " " + code(type) + java.util.Arrays.toString(dims) + " needs " + count * width(type)
                        + " bytes, its data_offsets give " + (end - begin));
            }
            entries.put(name, new Object[] {type, dims, begin});
            order.add(Map.entry(name, new long[] {begin, end}));
        }
        order.sort((a, b) -> Long.compare(a.getValue()[0], b.getValue()[0]));
        for (var o : order) {
            Object[] e = entries.get(o.getKey());
            DType type = (DType) e[0];
            int[] dims = (int[]) e[1];
            int count = Shape.of(dims).size();
            ByteBuffer b = ByteBuffer.wrap(all, (int) (dataStart + (long) e[2]), count * width(type)).slice().order(ByteOrder.LITTLE_ENDIAN);
            Object data = switch (type) {
                case F32 -> { float[] a = new float[count]; b.asFloatBuffer().get(a); yield a; }
                case F64 -> { double[] a = new double[count]; b.asDoubleBuffer().get(a); yield a; }
                case I32 -> { int[] a = new int[count]; b.asIntBuffer().get(a); yield a; }
                case I64 -> { long[] a = new long[count]; b.asLongBuffer().get(a); yield a; }
                case BOOL -> { boolean[] a = new boolean[count]; for (int i = 0; i < count; i++) a[i] = b.get(i) != 0; yield a; }
            };
            tensors.put(o.getKey(), new HostArray(type, Shape.of(dims), data));
        }
        return new Contents(tensors, metadata);
    }

    private static IOException bad(Path file, String what) { return new IOException(file + " is not a valid safetensors file: " + what); }
}
