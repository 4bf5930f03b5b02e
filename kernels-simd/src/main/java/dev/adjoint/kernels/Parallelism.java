package dev.adjoint.kernels;

/**
 * The one place that decides whether a kernel's work repays waking another thread, and into
 * how many chunks to cut it. Every kernel states its work as an estimated cost (bytes it must
 * move and flops it must do); this turns the cost into single-core time and splits only when
 * each chunk gets at least {@link #minNanos} / 2 of it.
 *
 * <p>The constants are measured on the reference machine and recorded in
 * docs/perf/elementwise.md ("What repays a thread wake-up"): a {@link ThreadPool} round trip
 * costs about 5 us when the worker is spinning and 20-50 us when it is parked, and a streaming
 * kernel moves about 30 bytes per ns on one core, a GEMM micro-kernel does about 80 flops per
 * ns. Splitting below {@link #minNanos} of work made 2 threads slower than one.
 */
public final class Parallelism {
    private Parallelism() {}

    /** Single-core streaming rate used to turn bytes into time (bytes per ns). */
    static final double BYTES_PER_NS = 30;
    /** Single-core arithmetic rate used to turn flops into time (flops per ns). */
    static final double FLOPS_PER_NS = 80;
    /**
     * Estimated single-thread time below which work stays on the calling thread. Not final so
     * that tests can set it to 0 and split even tiny problems (so "multi-thread equals serial"
     * means something); restore {@link #DEFAULT_MIN_NANOS} afterwards.
     */
    static volatile double minNanos = Parallelism.DEFAULT_MIN_NANOS;
    /** See {@link #minNanos}. */
    static final double DEFAULT_MIN_NANOS = 25_000;
    /** Chunks per thread when the work is large: a few, so an unlucky (preempted) thread is waited on less. */
    static final int CHUNKS_PER_THREAD = 4;

    /**
     * Estimated single-core time of some work.
     *
     * @param bytes bytes the work reads and writes
     * @param flops floating-point operations it does
     * @return nanoseconds
     */
    static double nanos(double bytes, double flops) {
        return bytes / BYTES_PER_NS + flops / FLOPS_PER_NS;
    }

    /**
     * Whether work of this cost should be split at all.
     *
     * @param splitter where the work would run
     * @param bytes bytes the work reads and writes
     * @param flops floating-point operations it does
     * @return true when {@code splitter} has more than one thread and the work repays a wake-up
     */
    public static boolean worthSplitting(WorkSplitter splitter, double bytes, double flops) {
        return splitter.threads() > 1 && nanos(bytes, flops) >= minNanos;
    }

    /**
     * How many chunks to cut work of this cost into: 1 when it is not worth splitting, else
     * up to {@value #CHUNKS_PER_THREAD} per thread, each worth at least half the threshold, and
     * never more than {@code maxItems} (the number of independent pieces the kernel has).
     *
     * @param splitter where the work will run
     * @param bytes bytes the work reads and writes
     * @param flops floating-point operations it does
     * @param maxItems most chunks the kernel can make
     * @return the chunk count, at least 1
     */
    public static int chunks(WorkSplitter splitter, double bytes, double flops, long maxItems) {
        if (maxItems <= 1 || !worthSplitting(splitter, bytes, flops)) return 1;
        double per = Math.max(1, minNanos / 2);
        long byCost = (long) Math.min(Integer.MAX_VALUE, nanos(bytes, flops) / per);
        long c = Math.min(maxItems, Math.min((long) CHUNKS_PER_THREAD * splitter.threads(), byCost));
        return (int) Math.max(1, c);
    }
}
