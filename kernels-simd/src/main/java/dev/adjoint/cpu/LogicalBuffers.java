package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import it.unimi.dsi.fastutil.ints.Int2ObjectMap;
import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;

/**
 * The logical buffers of a lowering: every materialized value (input, constant, step result,
 * plan output) gets its own number here, with its element count, storage type and kind. Steps
 * name logical buffers; {@link BufferPlanner} later maps several of them to one physical array.
 */
final class LogicalBuffers {
    /** What a logical buffer holds, which decides who provides its array. */
    enum Kind {
        /** Fed by the caller on every run; the plan allocates nothing for it. */
        INPUT,
        /** A constant's data, built at compile time (or shared with the plan being copied). */
        CONSTANT,
        /** An intermediate: its array may be reused once the value is dead. */
        SCRATCH,
        /** A plan output: an exact-size array of its own that no later step reuses. */
        OUTPUT
    }

    private final IntArrayList sizes = new IntArrayList();
    private final List<Kind> kinds = new ArrayList<>();
    private final List<DType> types = new ArrayList<>();
    private final Int2ObjectOpenHashMap<Object> constants = new Int2ObjectOpenHashMap<>();

    /** A new logical buffer of {@code size} elements; returns its number. */
    int add(int size, Kind kind, DType type) {
        sizes.add(size);
        kinds.add(kind);
        types.add(type);
        return sizes.size() - 1;
    }

    /** A new constant buffer holding {@code data} (a storage array of {@code type}). */
    int addConstant(Object data, DType type) {
        int b = add(Storage.length(data), Kind.CONSTANT, type);
        constants.put(b, data);
        return b;
    }

    /** A new constant buffer whose array is {@code data} as is (a plan copy's shared weights). */
    int addShared(int size, DType type, Object data) {
        int b = add(size, Kind.CONSTANT, type);
        constants.put(b, data);
        return b;
    }

    /** Number of logical buffers. */
    int count() { return sizes.size(); }

    /** Elements of buffer {@code b}. */
    int size(int b) { return sizes.getInt(b); }

    Kind kind(int b) { return kinds.get(b); }

    void setKind(int b, Kind kind) { kinds.set(b, kind); }

    DType type(int b) { return types.get(b); }

    /** The data of constant buffer {@code b}, or null if {@code b} is not a constant with data. */
    Object constant(int b) { return constants.get(b); }

    boolean hasConstant(int b) { return constants.containsKey(b); }

    /** Every constant buffer with its data. */
    Iterable<Int2ObjectMap.Entry<Object>> constants() { return constants.int2ObjectEntrySet(); }
}
