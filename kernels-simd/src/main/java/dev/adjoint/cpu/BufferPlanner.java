package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lowering pass: maps the logical buffers of a schedule to physical arrays by liveness.
 *
 * <p>Its input is the schedule as {@link NodeLowering} built it: the steps in run order, each
 * writing the logical buffer {@link Step#output()} and reading the buffers listed in
 * {@code reads} for it, and the {@link LogicalBuffers} table giving each buffer's element count,
 * storage type and kind. A linear scan over the steps then gives a step's output a free array
 * (best fit among arrays of its storage class) and returns the arrays of scratch buffers read for
 * the last time to the free list after the step. Steps refer to logical buffers, and the buffer
 * table maps several logical buffers to one array, so steps need no rewriting after the scan.
 * Outputs own exact-size arrays that no later step reuses; inputs are fed by the caller;
 * constants keep their data.
 */
final class BufferPlanner {
    private BufferPlanner() {}

    /**
     * The planned arrays.
     *
     * @param buffers the array of every logical buffer (null for inputs, bound at run time)
     * @param constant which logical buffers are constants (shared between a plan and its copies)
     * @param peakBytes bytes of every array the plan allocated, workspaces included, each at its type's width
     */
    record Assignment(Object[] buffers, boolean[] constant, long peakBytes) {}

    /**
     * Maps logical buffers to arrays by liveness over the schedule. The mapping is planned first
     * (physical arrays as numbered slots of a type and length), its bytes checked against the
     * memory the JVM can still give ({@link Memory#require}), and only then allocated: a plan that
     * cannot fit is an error saying how much it needs, never an OutOfMemoryError halfway.
     */
    static Assignment plan(List<Step> steps, List<int[]> reads, LogicalBuffers table, int threads) {
        int n = table.count();
        int[] lastRead = new int[n];
        java.util.Arrays.fill(lastRead, -1);
        for (int s = 0; s < reads.size(); s++) for (int b : reads.get(s)) lastRead[b] = s;
        // slot[b]: the physical array of logical buffer b; slotType/slotLength describe each array.
        int[] slot = new int[n];
        java.util.Arrays.fill(slot, -1);
        List<DType> slotType = new ArrayList<>();
        IntArrayList slotLength = new IntArrayList();
        // Arrays are reused only within one storage type; bytes count each array at its type's width.
        long bytes = 0;
        for (var e : table.constants()) {
            bytes += (long) Storage.bytes(table.type(e.getIntKey())) * Storage.length(e.getValue());
        }
        for (int b = 0; b < n; b++) {
            // Outputs own exact-size arrays that later steps never reuse; empty results need no step.
            if (table.kind(b) == LogicalBuffers.Kind.OUTPUT || (table.kind(b) == LogicalBuffers.Kind.SCRATCH && table.size(b) == 0)) {
                slot[b] = newSlot(slotType, slotLength, table.type(b), table.size(b));
                bytes += (long) Storage.bytes(table.type(b)) * table.size(b);
            }
        }
        IntArrayList free = new IntArrayList();
        for (int s = 0; s < steps.size(); s++) {
            int out = steps.get(s).output();
            if (slot[out] < 0 && !table.hasConstant(out)) {
                Class<?> cls = Storage.arrayClass(table.type(out));
                int best = -1;
                for (int f : free) {
                    if (Storage.arrayClass(slotType.get(f)) == cls && slotLength.getInt(f) >= table.size(out)
                            && (best < 0 || slotLength.getInt(f) < slotLength.getInt(best))) best = f;
                }
                if (best >= 0) {
                    free.rem(best);
                } else {
                    best = newSlot(slotType, slotLength, table.type(out), table.size(out));
                    bytes += (long) Storage.bytes(table.type(out)) * table.size(out);
                }
                slot[out] = best;
            }
            for (int b : reads.get(s)) {
                if (lastRead[b] == s && table.kind(b) == LogicalBuffers.Kind.SCRATCH && slot[b] >= 0 && !free.contains(slot[b])) free.add(slot[b]);
            }
        }
        // Scratch the kernels keep beyond the buffers: each thread's fused-program workspace (as
        // large as the largest program it runs) and the f64 GEMM workspaces.
        long fusedWorkspace = 0;
        for (Step st : steps) {
            if (st instanceof Steps.Fused f) fusedWorkspace = Math.max(fusedWorkspace, f.program().workspaceBytes());
            if (st instanceof Steps.MatMul m && m.dWorkspace() != null) bytes += 8L * m.dWorkspace().length;
        }
        bytes += fusedWorkspace * Math.max(1, threads);
        long arrays = 0;
        for (int i = 0; i < slotLength.size(); i++) arrays += (long) Storage.bytes(slotType.get(i)) * slotLength.getInt(i);
        Memory.require(arrays, "the plan's " + slotLength.size() + " buffers (" + bytes + " planned bytes in all)");
        Object[] arraysBySlot = new Object[slotLength.size()];
        for (int i = 0; i < arraysBySlot.length; i++) arraysBySlot[i] = Storage.allocate(slotType.get(i), slotLength.getInt(i));
        Object[] buffers = new Object[n];
        boolean[] constant = new boolean[n];
        for (var e : table.constants()) {
            buffers[e.getIntKey()] = e.getValue();
            constant[e.getIntKey()] = true;
        }
        for (int b = 0; b < n; b++) if (slot[b] >= 0) buffers[b] = arraysBySlot[slot[b]];
        return new Assignment(buffers, constant, bytes);
    }

    private static int newSlot(List<DType> types, IntArrayList lengths, DType t, int length) {
        types.add(t);
        lengths.add(length);
        return types.size() - 1;
    }
}
