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
 * <p>Buffers are placed in the order of their first write; each takes the smallest array of its
 * class, long enough, whose occupied intervals overlap none of its own; else a new array. A buffer
 * written but never read keeps its array to the end of the run (as the linear scan always did).
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
     */
    static Slots assign(int[] outputs, List<int[]> reads, int[] sizes, DType[] types, boolean[] pooled, boolean[] own) {
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
        // Occupied intervals per array.
        List<IntArrayList> occupied = new ArrayList<>();
        for (int i = 0; i < slotType.size(); i++) occupied.add(null);
        for (int b : order) {
            Class<?> cls = Storage.arrayClass(types[b]);
            IntArrayList mine = intervals[b];
            int best = -1;
            for (int f = 0; f < slotType.size(); f++) {
                IntArrayList occ = occupied.get(f);
                if (occ == null || Storage.arrayClass(slotType.get(f)) != cls || slotLength.getInt(f) < sizes[b]) continue;
                prune(occ, mine.getInt(0));
                if (best >= 0 && slotLength.getInt(f) >= slotLength.getInt(best)) continue;
                if (!overlaps(occ, mine)) best = f;
            }
            if (best < 0) {
                best = slotType.size();
                slotType.add(types[b]);
                slotLength.add(sizes[b]);
                occupied.add(new IntArrayList());
                pooledBytes += (long) Storage.bytes(types[b]) * sizes[b];
            }
            occupied.get(best).addAll(mine);
            slot[b] = best;
        }
        return new Slots(slot, slotType, slotLength, pooledBytes, ownBytes);
    }

    /** Ends the open interval: at its last read, or (never read) at once if more follow, else at the end of the run. */
    private static void close(IntArrayList iv, int lastRead, boolean final_) {
        int start = iv.getInt(iv.size() - 2);
        int end = lastRead >= start ? lastRead : final_ ? Integer.MAX_VALUE : start;
        iv.set(iv.size() - 1, end);
    }

    /**
     * Drops the intervals that end before {@code from}: buffers are placed in the order of their
     * first write, so no later buffer can overlap them (keeps each array's list short).
     */
    private static void prune(IntArrayList occ, int from) {
        int w = 0;
        for (int i = 0; i < occ.size(); i += 2) {
            if (occ.getInt(i + 1) < from) continue;
            occ.set(w++, occ.getInt(i));
            occ.set(w++, occ.getInt(i + 1));
        }
        occ.size(w);
    }

    private static boolean overlaps(IntArrayList a, IntArrayList b) {
        for (int i = 0; i < a.size(); i += 2) {
            int s = a.getInt(i), e = a.getInt(i + 1);
            for (int j = 0; j < b.size(); j += 2) if (s <= b.getInt(j + 1) && b.getInt(j) <= e) return true;
        }
        return false;
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

    static void debugLive(int[] outputs, List<int[]> reads, int[] sizes, DType[] types, boolean[] pooled, List<Step> st, List<dev.adjoint.graph.Node> owners) {
        int steps = outputs.length, n = sizes.length;
        int[] first = new int[n], last = new int[n];
        java.util.Arrays.fill(first, -1);
        for (int s = 0; s < steps; s++) {
            for (int b : reads.get(s)) last[b] = s;
            if (first[outputs[s]] < 0) first[outputs[s]] = s;
        }
        for (int s = 0; s < steps; s++) {
            long live = 0;
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < n; b++) if (pooled[b] && first[b] >= 0 && first[b] <= s && last[b] >= s) { live += 4L * sizes[b]; if (sizes[b] > 20000) sb.append(" b").append(b).append(':').append(sizes[b]).append('[').append(first[b]).append('-').append(last[b]).append(']'); }
            System.out.println(s + " " + st.get(s).kernel() + " %" + owners.get(s).id() + " " + owners.get(s).op().name() + owners.get(s).shape() + " out b" + outputs[s] + " live " + live + sb);
        }
    }
}
