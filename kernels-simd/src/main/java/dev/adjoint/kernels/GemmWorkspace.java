package dev.adjoint.kernels;

/**
 * Scratch memory for {@link Gemm}: the packed A and B panels of every chunk that may run at
 * once, and the reusable per-call state that is handed to the {@link WorkSplitter}.
 *
 * <p>Buffers grow on first use to the largest size seen and are then reused, so a plan that
 * creates one workspace and calls GEMM repeatedly allocates nothing on the hot path. A
 * workspace serves one GEMM call at a time (it is not thread-safe); give each concurrently
 * running operator its own. The packed panels are bounded by the cache blocking, about
 * (MC*KC + KC*NC) floats per chunk ({@link GemmBlocking}; 4.3 MB with KC = 512, MC = 72, NC = 2048), whatever the matrix size.
 */
public final class GemmWorkspace {
    /** Reusable state of the call in flight; doubles as the splitter's chunk so that no lambda is allocated per call. */
    final Gemm.Call call = new Gemm.Call(this);
    float[][] packA = new float[0][];
    float[][] packB = new float[0][];
    float[][] tile = new float[0][];
    /**
     * The packed B of a call split around one shared panel ({@link Gemm}'s shared-B split): every K
     * block of every column block has its own region (K x N floats in all, bounded by
     * {@code Gemm.SHARED_MAX_FLOATS}), so no thread ever overwrites a panel another may still read.
     */
    float[] sharedB = new float[0];
    /**
     * Per group of slivers of the shared panel: the call sequence number that last claimed it, and the
     * one whose packing of it is done. Comparing with the current call's number needs no reset.
     */
    java.util.concurrent.atomic.AtomicIntegerArray claimed = new java.util.concurrent.atomic.AtomicIntegerArray(0),
            packed = new java.util.concurrent.atomic.AtomicIntegerArray(0);
    /** The sequence number of the last shared-B call (0: none yet, so fresh arrays match no call). */
    int sharedSeq;

    /** Creates an empty workspace; buffers are allocated by the first call that needs them. */
    public GemmWorkspace() {}

    /**
     * Makes sure chunk slots {@code [0, slots)} have at least {@code a} and {@code b} floats of
     * packed panels and a register-tile buffer of {@code tileFloats}.
     * Called on the calling thread before work is split, so chunks only read the arrays.
     */
    void ensure(int slots, int a, int b, int tileFloats) {
        if (packA.length < slots) {
            packA = java.util.Arrays.copyOf(packA, slots);
            packB = java.util.Arrays.copyOf(packB, slots);
            tile = java.util.Arrays.copyOf(tile, slots);
        }
        for (int s = 0; s < slots; s++) {
            if (packA[s] == null || packA[s].length < a) packA[s] = new float[a];
            if (packB[s] == null || packB[s].length < b) packB[s] = new float[b];
            if (tile[s] == null || tile[s].length < tileFloats) tile[s] = new float[tileFloats];
        }
    }

    /** Makes sure the shared panel holds {@code floats} floats and {@code groups} group states (on the calling thread, before splitting). */
    void ensureShared(int floats, int groups) {
        if (sharedB.length < floats) sharedB = new float[floats];
        if (claimed.length() < groups) {
            claimed = new java.util.concurrent.atomic.AtomicIntegerArray(groups);
            packed = new java.util.concurrent.atomic.AtomicIntegerArray(groups);
        }
    }

    /** Floats currently held by the workspace, for memory reports. */
    public long floatsAllocated() {
        long t = 0;
        for (float[] f : packA) if (f != null) t += f.length;
        for (float[] f : packB) if (f != null) t += f.length;
        t += sharedB.length;
        return t;
    }
}
