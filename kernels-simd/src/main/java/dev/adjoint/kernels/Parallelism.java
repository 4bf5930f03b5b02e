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
 *
 * <p>It also decides, for the executor's step scheduler, whether two independent runs of steps
 * repay running at the same time, one per thread and each unsplit, rather than one after the
 * other with each step split ({@link #pairedNanos}, {@link #aloneNanos}): the figures are in
 * docs/perf/training.md ("What a stage hand-off costs").
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
     * What handing one run of steps to a worker and waiting for both costs, beyond the work: a
     * {@link ThreadPool#forEach} of 2 chunks whose worker is spinning (it is, between the steps of a
     * plan run) measured 2-6 us on the reference machine (docs/perf/training.md).
     */
    static final double HANDOFF_NANOS = 6_000;
    /**
     * The fraction of the ideal speed-up a kernel split over threads reaches: the MLP step's GEMMs
     * ran 1.84-1.97x faster on 2 threads, its streaming chains 1.6x (docs/perf/training.md).
     */
    static final double SPLIT_EFFICIENCY = 0.85;

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
     * Estimated single-core time of work that reads and writes {@code bytes} and does {@code flops}
     * (for the executor's cost model of its steps).
     *
     * @return nanoseconds
     */
    public static double estimateNanos(double bytes, double flops) {
        return nanos(bytes, flops);
    }

    /**
     * Estimated time of work of single-core time {@code nanos} run alone on {@code threads}
     * threads, split as the kernels split it: unchanged below {@link #minNanos}, else spread over
     * the threads at {@link #SPLIT_EFFICIENCY} plus a hand-off.
     */
    public static double aloneNanos(int threads, double nanos) {
        if (threads <= 1 || nanos < minNanos) return nanos;
        return nanos / (threads * SPLIT_EFFICIENCY) + HANDOFF_NANOS;
    }

    /**
     * Estimated time of two independent runs of work of single-core times {@code laneA} and
     * {@code laneB} run at the same time, one per thread, each unsplit: the longer, plus the hand-off.
     * Running them so pays when this is below the sum of their {@link #aloneNanos}.
     */
    public static double pairedNanos(double laneA, double laneB) {
        return Math.max(laneA, laneB) + HANDOFF_NANOS;
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
