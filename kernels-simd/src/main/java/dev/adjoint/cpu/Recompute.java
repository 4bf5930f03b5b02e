package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;

/**
 * Rematerialization in the buffer planner, under {@link CompileOptions#withMemoryBudget}: a cheap
 * elementwise step (a fused chain or a copy) whose result waits a long time between two of its
 * readers (a forward activation or mask kept for the backward pass) runs a second time right before
 * the later reader, so that its array is free for other buffers in between ({@link SlotScan} gives
 * a buffer one liveness interval per write). The recomputed step is the same step object writing
 * the same logical buffer from the same inputs, so the value is bitwise the one it replaces and no
 * step is rewritten; its inputs stay alive up to the recomputation (the scan sees its reads).
 *
 * <p>Choice by cost, greedy: while the planned bytes exceed the budget, take the candidates (for
 * every recomputable buffer, its longest gap between a use and a later read), the
 * {@value #TRIES} with the most bytes times gap length, simulate the array assignment with each
 * inserted, and keep the one with the lowest (planned bytes, live-bytes area over the schedule), if
 * that is below the current pair; stop when none is. Each kept insertion lowers that pair, so the
 * loop terminates. The estimated run time of all recomputations together is bounded by
 * {@value #MAX_EXTRA_COST} of the plan's ({@link #cost}), which keeps the step-time cost under the
 * issue's 20%. This is the planner-level form of Chen et al.'s checkpointing: the values kept
 * across the peak are the checkpoints (the outputs of GEMMs and convolutions, which are never
 * recomputed), and the elementwise segments between them are recomputed; instead of every
 * sqrt(n)-th layer, the cost model picks the segments whose recomputation frees the most bytes.
 */
final class Recompute {
    private Recompute() {}

    /** Candidates simulated per greedy round. */
    static final int TRIES = 16;

    /** Estimated cost of all recomputations together, as a fraction of the plan's estimated cost. */
    static final double MAX_EXTRA_COST = 0.10;

    /** Bound on kept recomputations. */
    static final int MAX_ROUNDS = 400;

    /**
     * A schedule to plan.
     *
     * @param steps the steps, in run order
     * @param reads the buffers each step reads
     * @param sizes element count per logical buffer
     * @param types storage type per logical buffer
     * @param pooled whether a buffer is scratch sharing arrays by liveness
     * @param own whether a buffer has an array of its own
     * @param fed whether a buffer is a plan input (fed by the caller)
     * @param output whether a buffer is a plan output
     * @param inPlace per step, the buffers it may write over when it reads them for the last time (null: none)
     * @param earlyOutputs outputs whose arrays scratch may use before they are written
     */
    record Schedule(List<Step> steps, List<int[]> reads, int[] sizes, DType[] types, boolean[] pooled, boolean[] own, boolean[] fed,
                    boolean[] output, List<int[]> inPlace, boolean[] earlyOutputs) {}

    /**
     * The buffers an f32 fused step may write its output over: pooled inputs it reads only in its
     * output's own dense layout (offset 0, dense strides), so each element is read before it is written.
     */
    static int[] inPlace(Step st, boolean[] pooled) {
        if (!(st instanceof Steps.Fused f)) return null;
        int[] dense = View.denseStrides(f.shape());
        IntArrayList ok = new IntArrayList();
        for (int k = 0; k < f.inBuffers().length; k++) {
            int b = f.inBuffers()[k];
            if (!pooled[b] || ok.contains(b)) continue;
            boolean all = true;
            for (int j = 0; j < f.inBuffers().length; j++) {
                if (f.inBuffers()[j] == b && (f.offsets()[j] != 0 || !java.util.Arrays.equals(f.strides()[j], dense))) all = false;
            }
            if (all) ok.add(b);
        }
        return ok.isEmpty() ? null : ok.toIntArray();
    }

    /**
     * The result: the positions of the original steps in the new schedule ({@code order[p]} is the
     * step run at position p; an index appearing twice is a recomputation) and the assignment.
     */
    record Chosen(int[] order, SlotScan.Slots slots, long defaultPeak, long packedPeak, long reached, boolean met) {}

    /**
     * Chooses recomputations until {@code fixedBytes} (constants, workspaces) plus the arrays
     * planned fit {@code budget}, or nothing more helps.
     */
    static Chosen choose(Schedule s, List<Node> owners, Graph graph, long fixedBytes, long budget) {
        int n = s.steps().size();
        IntArrayList order = new IntArrayList();
        for (int i = 0; i < n; i++) order.add(i);
        SlotScan.Slots plain = scan(s, order, false);
        long defaultPeak = fixedBytes + plain.pooledBytes() + plain.ownBytes();
        SlotScan.Slots slots = scan(s, order, true);
        long packedPeak = fixedBytes + slots.pooledBytes() + slots.ownBytes();
        long area = area(s, order);
        double[] cost = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) total += cost[i] = cost(s.steps().get(i), owners.get(i), graph, s.sizes());
        double extra = 0;
        for (int round = 0; round < MAX_ROUNDS && fixedBytes + slots.pooledBytes() + slots.ownBytes() > budget; round++) {
            List<long[]> candidates = candidates(s, order);
            IntArrayList best = null;
            SlotScan.Slots bestSlots = null;
            long bestArea = area;
            double bestAdded = 0;
            for (int t = 0; t < Math.min(TRIES, candidates.size()); t++) {
                long[] c = candidates.get(t);
                int step = (int) c[1], at = (int) c[2];
                if (hazard(s, order, step, at)) continue;
                IntArrayList next = new IntArrayList(order);
                next.add(at, step);
                dropUnread(s, next, step);
                double added = next.size() > order.size() ? cost[step] : 0;
                if (extra + added > MAX_EXTRA_COST * total) continue;
                SlotScan.Slots sl = scan(s, next, true);
                long a = area(s, next);
                long bytes = sl.pooledBytes() + sl.ownBytes();
                long cur = bestSlots == null ? slots.pooledBytes() + slots.ownBytes() : bestSlots.pooledBytes() + bestSlots.ownBytes();
                if (bytes < cur || bytes == cur && a < bestArea) {
                    best = next;
                    bestSlots = sl;
                    bestArea = a;
                    bestAdded = added;
                }
            }
            if (best == null) break;
            order = best;
            slots = bestSlots;
            area = bestArea;
            extra += bestAdded;
        }
        long reached = fixedBytes + slots.pooledBytes() + slots.ownBytes();
        return new Chosen(order.toIntArray(), slots, defaultPeak, packedPeak, reached, reached <= budget);
    }

    /** The error for a budget the search could not reach: what it reached, and what cannot shrink. */
    static IllegalArgumentException unmet(Chosen c, long budget, long constantBytes, long workspaceBytes) {
        int recomputed = c.order().length - (int) java.util.Arrays.stream(c.order()).distinct().count();
        return new IllegalArgumentException(String.format("memory budget %d B is out of reach: the best plan found has a planned peak of %d B"
                + " (%d B as planned without a budget; %d cheap elementwise steps run twice, within +%.0f%% estimated step time), of which"
                + " constants %d B, outputs %d B and workspaces %d B cannot shrink; ask for at least %d B",
                budget, c.reached(), c.defaultPeak(), recomputed, 100 * MAX_EXTRA_COST, constantBytes, c.slots().ownBytes(), workspaceBytes,
                c.reached()));
    }

    /** The array assignment of the schedule in {@code order}; {@code tight}: largest first and in-place passes (budgets only). */
    static SlotScan.Slots scan(Schedule s, IntArrayList order, boolean tight) {
        int[] outs = new int[order.size()];
        List<int[]> reads = new ArrayList<>(order.size());
        List<int[]> inPlace = tight ? new ArrayList<>(order.size()) : null;
        for (int p = 0; p < outs.length; p++) {
            outs[p] = s.steps().get(order.getInt(p)).output();
            reads.add(s.reads().get(order.getInt(p)));
            if (tight) inPlace.add(s.inPlace().get(order.getInt(p)));
        }
        return SlotScan.assign(outs, reads, s.sizes(), s.types(), s.pooled(), s.own(), inPlace, tight, tight ? s.earlyOutputs() : null);
    }

    /** Sum over pooled buffers of bytes times the steps they are live: the tie-breaker (see the class comment). */
    private static long area(Schedule s, IntArrayList order) {
        int n = s.sizes().length;
        int[] start = new int[n], last = new int[n];
        java.util.Arrays.fill(start, -1);
        long a = 0;
        for (int p = 0; p < order.size(); p++) {
            int step = order.getInt(p);
            for (int b : s.reads().get(step)) if (s.pooled()[b]) last[b] = p;
            int o = s.steps().get(step).output();
            if (!s.pooled()[o]) continue;
            if (start[o] >= 0) a += bytes(s, o) * (Math.max(last[o], start[o]) - start[o] + 1);
            start[o] = p;
            last[o] = p;
        }
        for (int b = 0; b < n; b++) if (start[b] >= 0) a += bytes(s, b) * (last[b] - start[b] + 1);
        return a;
    }

    private static long bytes(Schedule s, int b) { return (long) Storage.bytes(s.types()[b]) * s.sizes()[b]; }

    /** Whether a step may run again: elementwise (cheap, same result from the same inputs) and writing pooled scratch. */
    static boolean recomputable(Step st) {
        return st instanceof Steps.Fused || st instanceof Steps.TypedFused || st instanceof Steps.Copy;
    }

    /**
     * {bytes * gap, step, position} per recomputable buffer, for its longest gap between a use and
     * a later read (at least two steps), best first.
     */
    private static List<long[]> candidates(Schedule s, IntArrayList order) {
        int n = s.sizes().length;
        int[] prevUse = new int[n], writer = new int[n];
        boolean[] again = new boolean[n], unread = new boolean[n];
        java.util.Arrays.fill(prevUse, -1);
        java.util.Arrays.fill(writer, -1);
        long[] bestScore = new long[n];
        int[] bestAt = new int[n];
        for (int p = 0; p < order.size(); p++) {
            int step = order.getInt(p);
            for (int b : s.reads().get(step)) {
                if (writer[b] < 0) continue;
                int gap = p - prevUse[b];
                long score = bytes(s, b) * gap;
                // Any step may move down to its first reader; only cheap ones run a second time.
                if (gap >= 2 && (again[b] || unread[b]) && score > bestScore[b]) {
                    bestScore[b] = score;
                    bestAt[b] = p;
                }
                prevUse[b] = p;
                unread[b] = false;
            }
            Step st = s.steps().get(step);
            int o = st.output();
            if (s.pooled()[o]) {
                writer[o] = step;
                again[o] = recomputable(st);
                unread[o] = true;
                prevUse[o] = p;
            }
        }
        List<long[]> out = new ArrayList<>();
        for (int b = 0; b < n; b++) if (bestScore[b] > 0) out.add(new long[] {bestScore[b], writer[b], bestAt[b]});
        out.sort((x, y) -> Long.compare(y[0], x[0]));
        return out;
    }

    /**
     * Drops the runs of {@code step} whose result nobody reads before the step runs again (what
     * is left after moving a step down to its first reader): they only cost time.
     */
    private static void dropUnread(Schedule s, IntArrayList order, int step) {
        int o = s.steps().get(step).output();
        int lastWrite = -1;
        boolean read = false;
        for (int p = 0; p < order.size(); p++) {
            int st = order.getInt(p);
            if (contains(s.reads().get(st), o)) read = true;
            if (st == step) {
                if (lastWrite >= 0 && !read) {
                    order.removeInt(lastWrite);
                    p--;
                }
                lastWrite = p;
                read = false;
            }
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    /**
     * Whether running {@code step} again at position {@code at} could read an input array that a
     * donated output (see {@link Cpu#compile(List, CompileOptions, java.util.Map)}) has overwritten
     * by then: an output of the input's type and size is written before {@code at}. Donations are
     * set after compiling, so any output that could take the input's array counts.
     */
    private static boolean hazard(Schedule s, IntArrayList order, int step, int at) {
        for (int b : s.reads().get(step)) {
            if (!s.fed()[b]) continue;
            for (int p = 0; p < at; p++) {
                int o = s.steps().get(order.getInt(p)).output();
                if (s.output()[o] && s.sizes()[o] == s.sizes()[b] && s.types()[o] == s.types()[b]) return true;
            }
        }
        return false;
    }

    /**
     * A step's estimated run time in nanoseconds on one core: bytes moved at about 8 GB/s plus
     * operations at about 32 per ns (GEMM and convolution count their multiply-adds; a fused chain
     * one operation per op and element). Only the ratio of recomputations to the whole plan is used.
     */
    static double cost(Step st, Node owner, Graph graph, int[] sizes) {
        long elements = sizes[st.output()];
        long ops;
        if (st instanceof Steps.Fused f) ops = (long) f.ops() * elements;
        else if (st instanceof Steps.TypedFused t) ops = (long) t.program().ops() * elements;
        else if (owner != null) ops = dev.adjoint.graph.pass.Cost.flops(graph, owner);
        else ops = elements;
        long moved = 4L * elements;
        if (st instanceof Steps.Fused f) moved += 4L * elements * f.inBuffers().length;
        else if (st instanceof Steps.TypedFused t) moved += 4L * elements * t.inBuffers().length;
        else moved += 4L * elements;
        return moved / 8.0 + ops / 32.0;
    }
}
