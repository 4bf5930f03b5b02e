package dev.adjoint.kernels;

/**
 * How a kernel hands independent pieces of its work to threads.
 *
 * <p>Kernels never own threads: the executor passes one splitter, backed by its single
 * persistent pool, to every kernel it calls. A kernel cuts its work into {@code chunks}
 * independent pieces and calls {@link #forEach}; the splitter runs {@code task.run(i)} for
 * every {@code i} in {@code [0, chunks)} and returns when all are done. Chunks must write
 * disjoint memory and must not depend on each other's order, so results are the same
 * whatever the thread count.
 *
 * <p>Waking a parked thread costs 3-50 us on the reference machine, so a kernel should only
 * split work that is worth several microseconds per chunk; {@link #threads()} tells how many
 * chunks can run at once.
 */
public interface WorkSplitter {

    /** One piece of a kernel's work; must be safe to run concurrently with other chunks. */
    @FunctionalInterface
    interface Chunk {
        /** Runs piece {@code index} of the work. */
        void run(int index);
    }

    /** Number of threads that can run chunks at once (1 for {@link #SERIAL}). */
    int threads();

    /** Runs {@code task.run(i)} for every {@code i} in {@code [0, chunks)}; returns when all are done. */
    void forEach(int chunks, Chunk task);

    /** A splitter that runs every chunk on the calling thread, in order. */
    WorkSplitter SERIAL = new WorkSplitter() {
        @Override public int threads() { return 1; }
        @Override public void forEach(int chunks, Chunk task) {
            for (int i = 0; i < chunks; i++) task.run(i);
        }
    };
}
