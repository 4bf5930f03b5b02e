package dev.adjoint.cpu;

import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.Parallelism;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Which steps of a plan run at the same time: the plan's steps grouped into stages, each either
 * one step run alone (its kernel splits its work over every thread) or two <em>lanes</em> of
 * steps run at once, one lane per thread, each step unsplit. Decided once, when the plan is
 * built, from the steps' dependencies and an estimate of their cost; {@link Parallelism} decides
 * whether a pair of lanes repays the hand-off.
 *
 * <p><b>Race freedom.</b> Dependencies are taken over <em>arrays</em>, not values: two steps
 * depend on each other when one writes an array the other reads or writes (read after write,
 * write after read, write after write), after the buffer planner has mapped several logical
 * buffers to one array and with donated outputs mapped to the input array they are written into.
 * So a step never overwrites a reused array while a step of the other lane still reads its old
 * value. Steps of one lane have no dependency on the other lane's steps of the same stage, and
 * stages run one after the other; inside a lane the steps run in an order that respects their
 * dependencies. Every step is assumed to write only its {@link Step#output()} and to read only
 * the buffers the lowering recorded for it (the same facts buffer reuse and donation rely on).
 *
 * <p>Steps keep no scratch shared with other steps except the f32 GEMM workspace of the
 * lowering; the plan gives the GEMMs of the second lane a workspace of their own.
 */
final class StepSchedule {
    /** How far past the first unscheduled step the scheduler looks for steps to run beside it. */
    static final int WINDOW = 48;
    /** How many of the window's ready steps are tried beside the first (the costliest). */
    static final int SEEDS = 8;
    /**
     * Off with {@code -Dadjoint.parallelSteps=false} (read when a plan is built): every step then runs
     * alone, split, as before the scheduler existed; for measuring what the schedule gains.
     */
    static boolean enabled() { return !"false".equals(System.getProperty("adjoint.parallelSteps")); }

    /** The steps in stage order. */
    final int[] order;
    /** Stage k is {@code order[stageStart[k] .. stageStart[k+1])}. */
    final int[] stageStart;
    /** Stage k's second lane starts at {@code laneB[k]} (equal to its end for a step run alone). */
    final int[] laneB;

    private StepSchedule(int[] order, int[] stageStart, int[] laneB) {
        this.order = order;
        this.stageStart = stageStart;
        this.laneB = laneB;
    }

    /** Number of stages. */
    int stages() { return stageStart.length - 1; }

    /** Whether stage k runs two lanes at once. */
    boolean paired(int k) { return laneB[k] < stageStart[k + 1]; }

    /** Whether any stage runs two lanes at once. */
    boolean anyPaired() {
        for (int k = 0; k < stages(); k++) if (paired(k)) return true;
        return false;
    }

    /** Every step alone, in plan order (one thread, or nothing worth pairing). */
    static StepSchedule sequential(int n) {
        int[] order = new int[n], start = new int[n + 1], b = new int[n];
        for (int s = 0; s < n; s++) {
            order[s] = s;
            start[s] = s;
            b[s] = s + 1;
        }
        start[n] = n;
        return new StepSchedule(order, start, b);
    }

    /**
     * The array identity of every logical buffer: equal numbers for buffers that are (or, for a
     * donated output, will be bound to) one array. Inputs are bound at run time, each to the array
     * fed for it; two inputs fed one array are only read (a donated input fed twice is refused by
     * the run), so each input counts as an array of its own.
     */
    static int[] arrays(Object[] buffers, int[] inputBuffers, int[] outputBuffers, int[] donatedInput) {
        int n = buffers.length;
        int[] id = new int[n];
        boolean[] bound = new boolean[n];
        for (int b : inputBuffers) bound[b] = true;
        for (int o = 0; o < outputBuffers.length; o++) if (donatedInput[o] >= 0) bound[outputBuffers[o]] = true;
        IdentityHashMap<Object, Integer> seen = new IdentityHashMap<>();
        for (int b = 0; b < n; b++) {
            Object a = buffers[b];
            // Arrays bound at run time (and empty results, which have none) are arrays of their own, numbered past the planned ones.
            id[b] = bound[b] || a == null ? n + b : seen.computeIfAbsent(a, k -> seen.size());
        }
        for (int o = 0; o < outputBuffers.length; o++) {
            if (donatedInput[o] >= 0) id[outputBuffers[o]] = id[inputBuffers[donatedInput[o]]];
        }
        return id;
    }

    /** Per step, the earlier steps it must run after (by array: read after write, write after read or write). */
    static int[][] dependencies(Step[] steps, int[][] reads, int[] array) {
        int n = steps.length, arrays = 0;
        for (int a : array) arrays = Math.max(arrays, a + 1);
        int[] lastWriter = new int[arrays];
        java.util.Arrays.fill(lastWriter, -1);
        List<IntArrayList> readers = new ArrayList<>();
        for (int a = 0; a < arrays; a++) readers.add(null);
        int[][] deps = new int[n][];
        for (int t = 0; t < n; t++) {
            IntArrayList d = new IntArrayList();
            for (int r : reads[t]) {
                int w = lastWriter[array[r]];
                if (w >= 0) d.add(w);
            }
            int out = array[steps[t].output()];
            if (lastWriter[out] >= 0) d.add(lastWriter[out]);
            if (readers.get(out) != null) d.addAll(readers.get(out));
            for (int r : reads[t]) {
                int a = array[r];
                if (a == out) continue; // read and written by this step: its own business
                if (readers.get(a) == null) readers.set(a, new IntArrayList());
                readers.get(a).add(t);
            }
            lastWriter[out] = t;
            if (readers.get(out) != null) readers.get(out).clear();
            final int self = t;
            deps[t] = d.intStream().filter(x -> x != self).distinct().sorted().toArray();
        }
        return deps;
    }

    /**
     * The schedule decided <em>before</em> buffer planning, from the steps' dependencies over values
     * (logical buffers), so that reuse of arrays cannot serialize steps that are independent in the
     * graph: {@link BufferPlanner} then plans liveness over the stages, so no two steps of the two
     * lanes of a stage share an array unless one reads the other's value, and {@code Plan} checks
     * the pairs again over the arrays it binds (donations included).
     *
     * <p>Donation is decided after lowering, and writes an output into an input's array; it is
     * refused when a step after the writer (in plan order) reads the input. So that reordering does
     * not refuse the donations of updates in place (an optimizer's {@code w - lr v} written into
     * {@code w}), a step writing a plan output waits for every earlier reader of each input of the
     * output's type and size that it reads itself. (An output donated into an input its writer does
     * not read may be refused after reordering, with the error naming the reading step.)
     *
     * @return the schedule, its {@link #order} a permutation of the lowering's steps
     */
    static StepSchedule byValues(List<Step> steps, List<int[]> reads, LogicalBuffers table, int threads) {
        int n = steps.size();
        if (threads < 2 || n < 2 || !enabled()) return sequential(n);
        Step[] st = steps.toArray(new Step[0]);
        int[][] rd = reads.toArray(new int[0][]);
        int[] identity = new int[table.count()];
        for (int b = 0; b < identity.length; b++) identity[b] = b;
        int[][] deps = dependencies(st, rd, identity);
        // Earlier readers of every input buffer, for the donation guard.
        IntArrayList[] readersOf = new IntArrayList[table.count()];
        for (int t = 0; t < n; t++) {
            int out = st[t].output();
            if (table.kind(out) == LogicalBuffers.Kind.OUTPUT) {
                IntArrayList extra = new IntArrayList(deps[t]);
                for (int b : rd[t]) {
                    if (readersOf[b] == null || table.size(b) != table.size(out) || table.type(b) != table.type(out)) continue;
                    extra.addAll(readersOf[b]);
                }
                final int self = t;
                deps[t] = extra.intStream().filter(x -> x != self).distinct().sorted().toArray();
            }
            for (int b : rd[t]) {
                if (table.kind(b) != LogicalBuffers.Kind.INPUT) continue;
                if (readersOf[b] == null) readersOf[b] = new IntArrayList();
                readersOf[b].add(t);
            }
        }
        double[] cost = new double[n];
        for (int t = 0; t < n; t++) cost[t] = cost(st[t], table.size(st[t].output()));
        return of(deps, cost, threads);
    }

    /** The stages over positions in stage order (step p is the one at position p), as the buffer planner sees them. */
    StepSchedule renumberedStages() {
        int[] ord = new int[order.length];
        for (int p = 0; p < ord.length; p++) ord[p] = p;
        return new StepSchedule(ord, stageStart, laneB);
    }

    /**
     * This schedule over its steps renumbered in stage order (step p is the one at position p),
     * with every paired stage whose lanes touch one array (by {@code deps}, the dependencies over
     * the arrays a plan binds, in that numbering) run alone instead: correct whatever the arrays
     * are, and the same stages when buffer planning respected them.
     *
     * @return the schedule, and through {@code unpaired[0]} how many stages were unpaired
     */
    StepSchedule renumbered(int[][] deps, int[] unpaired) {
        int n = order.length;
        int[] ord = new int[n];
        for (int p = 0; p < n; p++) ord[p] = p;
        int[] b = laneB.clone();
        for (int k = 0; k < stages(); k++) {
            if (!paired(k)) continue;
            boolean clash = false;
            for (int q = laneB[k]; q < stageStart[k + 1] && !clash; q++) {
                for (int d : deps[q]) if (d >= stageStart[k] && d < laneB[k]) clash = true;
            }
            if (clash) {
                b[k] = stageStart[k + 1];
                unpaired[0]++;
            }
        }
        return new StepSchedule(ord, stageStart.clone(), b);
    }

    /** Estimated single-thread time of a step, from its kind and sizes (only the schedule uses it). */
    static double cost(Step st, int elements) {
        double bytes, flops = 0;
        switch (st) {
            case Steps.MatMul m -> {
                double b = Math.max(1, m.batch());
                flops = 2.0 * b * m.m() * m.n() * m.k();
                bytes = 4.0 * b * ((double) m.m() * m.k() + (double) m.k() * m.n() + (double) m.m() * m.n());
            }
            case Steps.Convolution c -> {
                ConvGeometry g = c.workspace().geometry;
                flops = 2.0 * g.outputLength() * g.taps() * g.cinPerGroup;
                bytes = 4.0 * (g.inputLength() + g.kernelLength() + g.outputLength());
            }
            case Steps.Fused f -> {
                bytes = 4.0 * elements * (f.inBuffers().length + 1);
                flops = (double) elements * f.ops();
            }
            default -> bytes = 8.0 * elements;
        }
        return Parallelism.estimateNanos(bytes, flops);
    }

    /**
     * The schedule for {@code threads} threads: in plan order, each first unscheduled step is run
     * beside the ready step that gains most, and the lighter lane is then filled with ready steps
     * that fit in the other's time; the pair is kept when {@link Parallelism} says it beats running
     * the same steps one by one, each split. Lanes never wait on each other inside a stage.
     *
     * @param deps per step, the steps it must run after ({@link #dependencies})
     * @param cost per step, its estimated single-thread time
     */
    static StepSchedule of(int[][] deps, double[] cost, int threads) {
        int n = deps.length;
        if (threads < 2 || n < 2 || !enabled()) return sequential(n);
        boolean[] done = new boolean[n];
        // 0: unscheduled or done; 1 / 2: in lane A / B of the stage being built.
        byte[] lane = new byte[n];
        IntArrayList order = new IntArrayList(), start = new IntArrayList(), bStart = new IntArrayList();
        int first = 0;
        while (first < n) {
            int end = Math.min(n, first + WINDOW);
            IntArrayList bestA = null, bestB = null;
            double bestGain = 0;
            // Seeds: the costliest few ready steps of the window (bounds the work on plans of thousands of steps).
            IntArrayList seeds = new IntArrayList();
            for (int c = first + 1; c < end; c++) if (!done[c] && ready(deps[c], done, lane, (byte) 0)) seeds.add(c);
            if (seeds.size() > SEEDS) {
                int[] sorted = seeds.toIntArray();
                sorted = java.util.Arrays.stream(sorted).boxed().sorted((x, y) -> Double.compare(cost[y], cost[x]))
                        .limit(SEEDS).mapToInt(Integer::intValue).toArray();
                seeds = IntArrayList.wrap(sorted);
            }
            for (int c : seeds) {
                IntArrayList a = IntArrayList.of(first), b = IntArrayList.of(c);
                lane[first] = 1;
                lane[c] = 2;
                fill(a, b, deps, cost, done, lane, first, end, threads);
                double alone = 0, ta = 0, tb = 0;
                for (int s : a) { alone += Parallelism.aloneNanos(threads, cost[s]); ta += cost[s]; }
                for (int s : b) { alone += Parallelism.aloneNanos(threads, cost[s]); tb += cost[s]; }
                double gain = alone - Parallelism.pairedNanos(ta, tb);
                for (int s : a) lane[s] = 0;
                for (int s : b) lane[s] = 0;
                if (gain > bestGain) {
                    bestGain = gain;
                    // The heavier lane first: the calling thread takes lane A at once, the worker joins for lane B.
                    if (ta >= tb) { bestA = a; bestB = b; } else { bestA = b; bestB = a; }
                }
            }
            start.add(order.size());
            if (bestA == null) {
                order.add(first);
                bStart.add(order.size());
                done[first] = true;
            } else {
                for (int s : bestA) { order.add(s); done[s] = true; }
                bStart.add(order.size());
                for (int s : bestB) { order.add(s); done[s] = true; }
            }
            while (first < n && done[first]) first++;
        }
        start.add(order.size());
        return new StepSchedule(order.toIntArray(), start.toIntArray(), bStart.toIntArray());
    }

    /**
     * Adds to the lighter lane, one at a time, the first step ready for it whose time alone (split)
     * is more than it would lengthen the stage: a step that fits in the other lane's extra time is
     * free, and one that overshoots it still pays if running it alone later would cost more.
     */
    private static void fill(IntArrayList a, IntArrayList b, int[][] deps, double[] cost, boolean[] done, byte[] lane, int first, int end,
                             int threads) {
        double ta = cost[a.getInt(0)], tb = cost[b.getInt(0)];
        while (true) {
            boolean aLight = ta <= tb;
            double light = Math.min(ta, tb), heavy = Math.max(ta, tb);
            byte mine = aLight ? (byte) 1 : (byte) 2;
            int pick = -1;
            for (int c = first + 1; c < end; c++) {
                if (done[c] || lane[c] != 0) continue;
                double overshoot = Math.max(0, light + cost[c] - heavy);
                if (Parallelism.aloneNanos(threads, cost[c]) <= overshoot) continue;
                if (ready(deps[c], done, lane, mine)) { pick = c; break; }
            }
            if (pick < 0) return;
            lane[pick] = mine;
            if (aLight) { a.add(pick); ta += cost[pick]; } else { b.add(pick); tb += cost[pick]; }
        }
    }

    /** Whether every step in {@code deps} is done or in lane {@code mine} (0: done only). */
    private static boolean ready(int[] deps, boolean[] done, byte[] lane, byte mine) {
        for (int d : deps) if (!done[d] && (mine == 0 || lane[d] != mine)) return false;
        return true;
    }

    /**
     * Checks that no two steps of different lanes of a stage touch one array where either writes it,
     * by the arrays {@code buffers} holds now (after binding a run's inputs and donations): null if
     * none do, else the first such pair. For tests: it does not trust {@link #dependencies}.
     */
    String conflict(Step[] steps, int[][] reads, Object[] buffers) {
        for (int k = 0; k < stages(); k++) {
            if (!paired(k)) continue;
            for (int p = stageStart[k]; p < laneB[k]; p++) {
                for (int q = laneB[k]; q < stageStart[k + 1]; q++) {
                    int s = order[p], t = order[q];
                    if (touches(steps[s], reads[s], steps[t], reads[t], buffers) || touches(steps[t], reads[t], steps[s], reads[s], buffers)) {
                        return "stage " + k + ": step " + s + " (" + steps[s].kernel() + ") and step " + t + " (" + steps[t].kernel() + ")";
                    }
                }
            }
        }
        return null;
    }

    /** Whether step w's output array is one step r reads or writes. */
    private static boolean touches(Step w, int[] wReads, Step r, int[] rReads, Object[] buffers) {
        Object out = buffers[w.output()];
        if (out == null) return false;
        if (buffers[r.output()] == out) return true;
        for (int b : rReads) if (buffers[b] == out) return true;
        return false;
    }
}
