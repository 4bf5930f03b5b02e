package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps logical buffers to physical arrays ("slots") by liveness intervals over a schedule.
 *
 * <p>A pooled buffer is live from each step that writes it to the last step that reads it before
 * it is written again: one interval per write. Without rematerialization every buffer is written
 * once, so it has one interval and this is the classic linear scan (best fit among the arrays of
 * its storage class that are free over the interval). With rematerialization ({@link Recompute})
 * a buffer is written again right before its late readers, so it has two or more intervals and its
 * array is free in the gaps between them: any buffer whose whole lifetime fits in a gap may use
 * it. The recomputed step writes the same logical buffer, so no step is rewritten; the scan only
 * has to keep the buffer's array out of other hands during each of its intervals.
 *
 * <p>Buffers are placed in the order of their first write (under a budget: largest first); each
 * takes the smallest array of its class, long enough, whose occupied intervals overlap none of its
 * own; else a new array. A buffer written but never read keeps its array to the end of the run (as
 * the linear scan always did). Under a budget an elementwise pass may also write over an input it
 * reads for the last time in its own dense layout (each element is read before it is written, the
 * rule buffer donation relies on, see {@link Lowering#donationProblem}).
 */
final class SlotScan {
    private SlotScan() {}

    /**
     * The assignment.
     *
     * @param slot the array number of every logical buffer, -1 for inputs and constants
     * @param types the storage type of every array
     * @param lengths the element count of every array
     * @param pooledBytes bytes of the arrays shared by scratch buffers (outputs' own arrays excluded)
     * @param ownBytes bytes of the arrays owned by one buffer (outputs, empty results)
     */
    record Slots(int[] slot, List<DType> types, IntArrayList lengths, long pooledBytes, long ownBytes) {}

    /**
     * Assigns arrays.
     *
     * @param outputs the buffer each step writes, in run order
     * @param reads the buffers each step reads
     * @param sizes element count per logical buffer
     * @param types storage type per logical buffer
     * @param pooled whether a buffer is scratch that shares arrays by liveness
     * @param own whether a buffer gets an exact-size array of its own (an output, an empty result)
     * @param inPlace per step, the buffers it may overwrite with its output if it reads them for the
     *     last time (an elementwise pass reading them in its output's dense layout), or null; null
     *     for none at all
     * @param bySize place the largest buffers first (tighter packing, as TFLite's greedy-by-size
     *     planner; for budgets) instead of in the order of their first write
     * @param earlyOutputs the own buffers (outputs) whose arrays scratch may use before they are
     *     first written (for budgets), or null
     */
    static Slots assign(int[] outputs, List<int[]> reads, int[] sizes, DType[] types, boolean[] pooled, boolean[] own,
                        List<int[]> inPlace, boolean bySize, boolean[] earlyOutputs) {
        return assign(outputs, reads, sizes, types, pooled, own, inPlace, bySize, earlyOutputs, null);
    }

    /**
     * Assigns arrays as above, over a schedule whose steps run in stages ({@code stages}, positions
     * in stage order; null for one step at a time). Steps of the two lanes of a stage run at the
     * same time, so two buffers may share an array only if, beside the liveness test in position
     * order, no stage has one of them live in its lane A and the other in its lane B: steps of one
     * lane still reuse each other's arrays in their order, and steps that run at the same time (one
     * per thread) never share an array except through a value one of them reads.
     */
    static Slots assign(int[] outputs, List<int[]> reads, int[] sizes, DType[] types, boolean[] pooled, boolean[] own,
                        List<int[]> inPlace, boolean bySize, boolean[] earlyOutputs, StepSchedule stages) {
        int n = sizes.length, steps = outputs.length;
        int[] slot = new int[n];
        java.util.Arrays.fill(slot, -1);
        List<DType> slotType = new ArrayList<>();
        IntArrayList slotLength = new IntArrayList();
        long ownBytes = 0, pooledBytes = 0;
        for (int b = 0; b < n; b++) {
            if (own[b]) {
                slot[b] = slotType.size();
                slotType.add(types[b]);
                slotLength.add(sizes[b]);
                ownBytes += (long) Storage.bytes(types[b]) * sizes[b];
            }
        }
        // Intervals per pooled buffer, as [start, end] pairs in step order.
        IntArrayList[] intervals = new IntArrayList[n];
        int[] lastRead = new int[n];
        java.util.Arrays.fill(lastRead, -1);
        IntArrayList order = new IntArrayList();
        for (int s = 0; s < steps; s++) {
            for (int b : reads.get(s)) if (pooled[b] && slot[b] < 0) lastRead[b] = s;
            int o = outputs[s];
            if (!pooled[o] || slot[o] >= 0) continue;
            if (intervals[o] == null) {
                intervals[o] = new IntArrayList();
                order.add(o);
            } else {
                close(intervals[o], lastRead[o], false);
            }
            intervals[o].add(s);
            intervals[o].add(-1);
        }
        for (int b : order) close(intervals[b], lastRead[b], true);
        int[] stageOf = null;
        if (stages != null) {
            stageOf = new int[steps];
            for (int k = 0; k < stages.stages(); k++) for (int p = stages.stageStart[k]; p < stages.stageStart[k + 1]; p++) stageOf[p] = k;
        }
        if (inPlace != null) {
            // A buffer read for the last time by an elementwise pass that may write over it ends one
            // step early: only that pass's output starts at that step, so only it can take the array.
            for (int s = 0; s < steps; s++) {
                int[] may = inPlace.get(s);
                if (may == null) continue;
                for (int b : may) {
                    IntArrayList iv = intervals[b];
                    if (iv == null) continue;
                    for (int k = 1; k < iv.size(); k += 2) if (iv.getInt(k) == s && iv.getInt(k - 1) < s) iv.set(k, s - 1);
                }
            }
        }
        if (bySize) {
            int[] first = new int[n];
            for (int b : order) first[b] = intervals[b].getInt(0);
            order.sort((a, b) -> {
                long x = (long) Storage.bytes(types[a]) * sizes[a], y = (long) Storage.bytes(types[b]) * sizes[b];
                return x != y ? Long.compare(y, x) : Integer.compare(first[a], first[b]);
            });
        }
        // Occupied intervals per array, disjoint and sorted. Under a budget an output's own array is
        // free until the output is written, so scratch that dies before then may use it.
        List<IntArrayList> occupied = new ArrayList<>();
        for (int i = 0; i < slotType.size(); i++) occupied.add(null);
        if (earlyOutputs != null) {
            int[] firstWrite = new int[n];
            java.util.Arrays.fill(firstWrite, -1);
            for (int s = steps - 1; s >= 0; s--) firstWrite[outputs[s]] = s;
            for (int b = 0; b < n; b++) {
                if (!earlyOutputs[b] || firstWrite[b] <= 0) continue;
                IntArrayList occ = new IntArrayList();
                occ.add(firstWrite[b]);
                occ.add(Integer.MAX_VALUE);
                occupied.set(slot[b], occ);
            }
        }
        // Per array, the paired stages in whose lane A (lane B) some occupant is live.
        List<java.util.BitSet> inA = new ArrayList<>(), inB = new ArrayList<>();
        for (int i = 0; i < slotType.size(); i++) { inA.add(null); inB.add(null); }
        for (int b : order) {
            Class<?> cls = Storage.arrayClass(types[b]);
            IntArrayList mine = intervals[b];
            java.util.BitSet myA = null, myB = null;
            if (stages != null) {
                myA = new java.util.BitSet();
                myB = new java.util.BitSet();
                laneParts(mine, stageOf, stages, myA, myB);
            }
            int best = -1, bestGap = 0;
            for (int f = 0; f < slotType.size(); f++) {
                IntArrayList occ = occupied.get(f);
                if (occ == null || Storage.arrayClass(slotType.get(f)) != cls || slotLength.getInt(f) < sizes[b]) continue;
                if (best >= 0 && slotLength.getInt(f) > slotLength.getInt(best)) continue;
                // Among arrays of one length, a budget plan takes the one whose previous occupant ends nearest before it starts.
                int gap = bySize ? gapBefore(occ, mine.getInt(0)) : 0;
                if (best >= 0 && slotLength.getInt(f) == slotLength.getInt(best) && gap >= bestGap) continue;
                if (!overlaps(occ, mine) && (myA == null || !(myA.intersects(inB.get(f)) || myB.intersects(inA.get(f))))) {
                    best = f;
                    bestGap = gap;
                }
            }
            if (best < 0) {
                best = slotType.size();
                slotType.add(types[b]);
                slotLength.add(sizes[b]);
                occupied.add(new IntArrayList());
                inA.add(null);
                inB.add(null);
                pooledBytes += (long) Storage.bytes(types[b]) * sizes[b];
            }
            if (myA != null) {
                if (inA.get(best) == null) { inA.set(best, new java.util.BitSet()); inB.set(best, new java.util.BitSet()); }
                inA.get(best).or(myA);
                inB.get(best).or(myB);
            }
            for (int k = 0; k < mine.size(); k += 2) insert(occupied.get(best), mine.getInt(k), mine.getInt(k + 1));
            slot[b] = best;
        }
        return new Slots(slot, slotType, slotLength, pooledBytes, ownBytes);
    }

    /** Marks the paired stages in whose lane A ({@code a}) or lane B ({@code b}) the intervals {@code iv} are live. */
    private static void laneParts(IntArrayList iv, int[] stageOf, StepSchedule st, java.util.BitSet a, java.util.BitSet b) {
        int last = stageOf.length - 1;
        for (int i = 0; i < iv.size(); i += 2) {
            int s = iv.getInt(i), e = Math.min(iv.getInt(i + 1), last);
            int ks = stageOf[s], ke = stageOf[e];
            // Stages strictly inside are covered whole (an unpaired one is one step: marking it is harmless).
            if (ke > ks + 1) {
                a.set(ks + 1, ke);
                b.set(ks + 1, ke);
            }
            for (int k : new int[] {ks, ke}) {
                if (!st.paired(k)) continue;
                int aLo = st.stageStart[k], aHi = st.laneB[k] - 1, bLo = st.laneB[k], bHi = st.stageStart[k + 1] - 1;
                if (s <= aHi && e >= aLo) a.set(k);
                if (s <= bHi && e >= bLo) b.set(k);
            }
        }
    }

    /** Ends the open interval: at its last read, or (never read) at once if more follow, else at the end of the run. */
    private static void close(IntArrayList iv, int lastRead, boolean final_) {
        int start = iv.getInt(iv.size() - 2);
        int end = lastRead >= start ? lastRead : final_ ? Integer.MAX_VALUE : start;
        iv.set(iv.size() - 1, end);
    }

    /** Whether any interval of {@code mine} meets one of {@code occ} (disjoint intervals sorted by start). */
    private static boolean overlaps(IntArrayList occ, IntArrayList mine) {
        for (int k = 0; k < mine.size(); k += 2) {
            int s = mine.getInt(k), e = mine.getInt(k + 1);
            int i = firstStartingAfter(occ, e);
            if (i > 0 && occ.getInt(2 * (i - 1) + 1) >= s) return true;
        }
        return false;
    }

    /** Steps from the end of the last interval of {@code occ} before {@code start} to it (large if none). */
    private static int gapBefore(IntArrayList occ, int start) {
        int i = firstStartingAfter(occ, start);
        return i == 0 ? Integer.MAX_VALUE - 1 : start - occ.getInt(2 * (i - 1) + 1);
    }

    /** The number of intervals of {@code occ} that start at or before {@code e}. */
    private static int firstStartingAfter(IntArrayList occ, int e) {
        int lo = 0, hi = occ.size() / 2;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (occ.getInt(2 * mid) <= e) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static void insert(IntArrayList occ, int s, int e) {
        int i = firstStartingAfter(occ, s);
        occ.add(2 * i, e);
        occ.add(2 * i, s);
    }

    /**
     * Bytes live at the worst step (pooled buffers over their intervals): the floor any array
     * assignment of this schedule needs; the gap to {@link Slots#pooledBytes} is fragmentation.
     */
    static long livePeak(int[] outputs, List<int[]> reads, int[] sizes, DType[] types, boolean[] pooled, boolean[] own) {
        int steps = outputs.length;
        long[] delta = new long[steps + 1];
        int n = sizes.length;
        int[] lastRead = new int[n], start = new int[n];
        java.util.Arrays.fill(lastRead, -1);
        java.util.Arrays.fill(start, -1);
        for (int s = 0; s < steps; s++) {
            for (int b : reads.get(s)) if (pooled[b] && !own[b]) lastRead[b] = s;
            int o = outputs[s];
            if (!pooled[o] || own[o]) continue;
            if (start[o] >= 0) addInterval(delta, start[o], Math.max(start[o], lastRead[o]), (long) Storage.bytes(types[o]) * sizes[o]);
            start[o] = s;
        }
        for (int b = 0; b < n; b++) {
            if (start[b] < 0) continue;
            int end = lastRead[b] >= start[b] ? lastRead[b] : steps - 1;
            addInterval(delta, start[b], end, (long) Storage.bytes(types[b]) * sizes[b]);
        }
        long live = 0, peak = 0;
        for (int s = 0; s < steps; s++) {
            live += delta[s];
            peak = Math.max(peak, live);
        }
        return peak;
    }

    private static void addInterval(long[] delta, int from, int to, long bytes) {
        delta[from] += bytes;
        delta[Math.min(to + 1, delta.length - 1)] -= bytes;
    }
}
