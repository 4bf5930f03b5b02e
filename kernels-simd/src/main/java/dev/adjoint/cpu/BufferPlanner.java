package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lowering pass: maps the logical buffers of a schedule to physical arrays by liveness.
 *
 * <p>Its input is the schedule as {@link NodeLowering} built it: the steps in run order, each
 * writing the logical buffer {@link Step#output()} and reading the buffers listed in
 * {@code reads} for it, and the {@link LogicalBuffers} table giving each buffer's element count,
 * storage type and kind. {@link SlotScan} then gives each scratch buffer an array (best fit among
 * the arrays of its storage class free over its liveness intervals). Steps refer to logical
 * buffers, and the buffer table maps several logical buffers to one array, so steps need no
 * rewriting after the scan. Outputs own exact-size arrays that no later step reuses; inputs are
 * fed by the caller; constants keep their data.
 *
 * <p>Under a memory budget ({@link CompileOptions#withMemoryBudget}) the planner works harder
 * ({@link Recompute}): it runs cheap elementwise steps again before their late readers, so a
 * buffer may have several liveness intervals, and packs the arrays tighter. The schedule it returns
 * may then list a step more than once.
 */
final class BufferPlanner {
    private BufferPlanner() {}

    /**
     * The planned arrays.
     *
     * @param buffers the array of every logical buffer (null for inputs, bound at run time)
     * @param constant which logical buffers are constants (shared between a plan and its copies)
     * @param peakBytes bytes of every array the plan allocated, workspaces included, each at its type's width
     * @param order the schedule: {@code order[p]} is the index of the step run at position p (a step listed twice is recomputed)
     * @param memory the parts of {@code peakBytes} and what is recomputed, positions in {@code order}
     */
    record Assignment(Object[] buffers, boolean[] constant, long peakBytes, int[] order, MemoryReport memory, boolean stagedKept) {}

    /**
     * How many more planned bytes a plan over stages ({@link StepSchedule#byValues}) may take than
     * the same steps planned one at a time in plan order, as a fraction of the latter's planned
     * bytes; a few tens of KB more are always allowed ({@link #STAGED_EXTRA_FREE}). Above both, the
     * stages are dropped and the plan is planned in plan order (and scheduled over its arrays, as
     * before). Steps side by side hold both lanes' values at once: the MLP 784-512-512-10 step takes
     * 1% more, two independent 96x96 products 36 KB more, the LeNet-like CNN step at batch 32 670 KB
     * (20%) more, which stays planned in order (docs/perf/training.md, wave 5). Property
     * {@code adjoint.stagedExtraBytes} (read once) changes the fraction.
     */
    static final double STAGED_EXTRA_BYTES = Double.parseDouble(System.getProperty("adjoint.stagedExtraBytes", "0.05"));
    /** Extra bytes a plan over stages may always take (a quarter of one core's 1 MB L2 on the reference machine). */
    static final long STAGED_EXTRA_FREE = 256 * 1024;

    /**
     * Maps logical buffers to arrays by liveness over the schedule. The mapping is planned first
     * (physical arrays as numbered slots of a type and length), its bytes checked against the
     * memory the JVM can still give ({@link Memory#require}), and only then allocated: a plan that
     * cannot fit is an error saying how much it needs, never an OutOfMemoryError halfway.
     *
     * @param budget planned bytes to stay under (0: none); see {@link Recompute}
     * @throws IllegalArgumentException if a budget is given and cannot be met, with the best peak found
     */
    static Assignment plan(List<Step> steps, List<int[]> reads, List<Node> owners, LogicalBuffers table, int threads, long budget, Graph graph) {
        return plan(steps, reads, owners, table, threads, budget, graph, null);
    }

    /**
     * Plans as above; with {@code staged} (no budget: a schedule decided from the values,
     * {@link StepSchedule#byValues}) the steps run in its order and no two buffers live in the two
     * lanes of one stage share an array ({@link SlotScan}), so the reuse of arrays adds no
     * dependency between the lanes; unless that costs more than {@link #STAGED_EXTRA_BYTES} of
     * scratch over planning in plan order ({@link Assignment#stagedKept} says which was used).
     */
    static Assignment plan(List<Step> steps, List<int[]> reads, List<Node> owners, LogicalBuffers table, int threads, long budget, Graph graph,
                           StepSchedule staged) {
        int n = table.count();
        int[] size = new int[n];
        DType[] type = new DType[n];
        boolean[] pooled = new boolean[n], own = new boolean[n], fed = new boolean[n], out = new boolean[n];
        // Arrays are reused only within one storage type; bytes count each array at its type's width.
        long constantBytes = 0;
        for (var e : table.constants()) {
            constantBytes += (long) Storage.bytes(table.type(e.getIntKey())) * Storage.length(e.getValue());
        }
        for (int b = 0; b < n; b++) {
            size[b] = table.size(b);
            type[b] = table.type(b);
            LogicalBuffers.Kind k = table.kind(b);
            // Outputs own exact-size arrays that later steps never reuse; empty results need no step.
            own[b] = k == LogicalBuffers.Kind.OUTPUT || (k == LogicalBuffers.Kind.SCRATCH && size[b] == 0);
            pooled[b] = !own[b] && k == LogicalBuffers.Kind.SCRATCH && !table.hasConstant(b);
            fed[b] = k == LogicalBuffers.Kind.INPUT;
            out[b] = k == LogicalBuffers.Kind.OUTPUT;
        }
        // Scratch the kernels keep beyond the buffers: each thread's fused-program workspace (as
        // large as the largest program it runs) and the f64 GEMM workspaces.
        long fusedWorkspace = 0, workspaceBytes = 0;
        for (Step st : steps) {
            if (st instanceof Steps.Fused f) fusedWorkspace = Math.max(fusedWorkspace, f.program().workspaceBytes());
            if (st instanceof Steps.MatMul m && m.dWorkspace() != null) workspaceBytes += 8L * m.dWorkspace().length;
        }
        workspaceBytes += fusedWorkspace * Math.max(1, threads);
        List<int[]> inPlace = new ArrayList<>();
        for (Step st : steps) inPlace.add(budget > 0 ? Recompute.inPlace(st, pooled) : null);
        // An output's array holds nothing the run needs before the output is written, except a
        // scatter's (it may clear only the rows it wrote last run): budget plans lend the others to scratch.
        boolean[] early = out.clone();
        for (Step st : steps) if (st instanceof IndexSteps.ScatterAdd) early[st.output()] = false;
        Recompute.Schedule schedule = new Recompute.Schedule(steps, reads, size, type, pooled, own, fed, out, inPlace, early);
        Recompute.Chosen chosen;
        if (budget > 0) {
            chosen = Recompute.choose(schedule, owners, graph, constantBytes + workspaceBytes, budget);
            if (!chosen.met()) throw Recompute.unmet(chosen, budget, constantBytes, workspaceBytes);
        } else {
            IntArrayList identity = new IntArrayList();
            for (int s = 0; s < steps.size(); s++) identity.add(s);
            SlotScan.Slots sl = Recompute.scan(schedule, identity, false);
            long total = constantBytes + workspaceBytes + sl.pooledBytes() + sl.ownBytes();
            chosen = new Recompute.Chosen(identity.toIntArray(), sl, total, total, total, true);
            if (staged != null) {
                int[] ord = staged.order;
                int[] outs = new int[ord.length];
                List<int[]> rd = new ArrayList<>(ord.length);
                for (int p = 0; p < ord.length; p++) {
                    outs[p] = steps.get(ord[p]).output();
                    rd.add(reads.get(ord[p]));
                }
                SlotScan.Slots st = SlotScan.assign(outs, rd, size, type, pooled, own, null, false, null, staged.renumberedStages());
                long extra = st.pooledBytes() - sl.pooledBytes();
                if (extra <= STAGED_EXTRA_FREE || extra <= total * STAGED_EXTRA_BYTES) {
                    long t = constantBytes + workspaceBytes + st.pooledBytes() + st.ownBytes();
                    chosen = new Recompute.Chosen(ord.clone(), st, t, t, t, true);
                } else {
                    staged = null;
                }
            }
        }
        int[] order = chosen.order();
        List<MemoryReport.Recomputed> recomputed = new ArrayList<>();
        boolean[] seen = new boolean[steps.size()];
        int[] outs = new int[order.length];
        List<int[]> orderedReads = new ArrayList<>();
        for (int p = 0; p < order.length; p++) {
            int s = order[p];
            int o = steps.get(s).output();
            outs[p] = o;
            orderedReads.add(reads.get(s));
            if (seen[s]) {
                Node w = owners.get(s);
                recomputed.add(new MemoryReport.Recomputed("%" + w.id() + " " + w.op().name() + " " + w.dtype().label() + w.shape(),
                        steps.get(s).kernel(), p, (long) Storage.bytes(type[o]) * size[o]));
            }
            seen[s] = true;
        }
        SlotScan.Slots sl = chosen.slots();
        long bytes = constantBytes + workspaceBytes + sl.pooledBytes() + sl.ownBytes();
        long live = SlotScan.livePeak(outs, orderedReads, size, type, pooled, own);
        MemoryReport memory = new MemoryReport(bytes, constantBytes, sl.ownBytes(), sl.pooledBytes(), workspaceBytes, live,
                chosen.defaultPeak(), chosen.packedPeak(), budget, recomputed);
        List<DType> slotType = sl.types();
        IntArrayList slotLength = sl.lengths();
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
        for (int b = 0; b < n; b++) if (sl.slot()[b] >= 0) buffers[b] = arraysBySlot[sl.slot()[b]];
        return new Assignment(buffers, constant, bytes, order, memory, staged != null);
    }
}
