package dev.adjoint.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The executor's persistent pool: {@code threads - 1} daemon workers plus the calling
 * thread, which always takes chunks itself rather than sleep while others work.
 *
 * <p>Chunks are claimed from a shared counter, so which thread runs a chunk varies, but
 * chunk {@code i} always means the same piece of work: kernels keep results independent
 * of the thread count. Idle workers spin for about {@value #SPIN_NANOS} ns (a kernel
 * sequence keeps them hot) and then park, so an idle pool costs no CPU on a shared machine.
 *
 * <p>One {@link #forEach} runs at a time on the workers; a call made while the pool is
 * busy (from a chunk, or from another thread running an independent branch) runs its
 * chunks on its own thread, which is correct and avoids deadlock. The first exception
 * thrown by a chunk is rethrown to the caller once every started chunk has finished;
 * chunks not yet started are skipped, and the pool stays usable.
 */
public final class ThreadPool implements WorkSplitter, AutoCloseable {
    /** How long an idle worker spins before parking. */
    static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    /**
     * The one job object, reused by every {@link #forEach} (a warm plan allocates nothing per run,
     * on any thread count). Each call starts a new generation; chunk claims carry it, so a worker
     * that is late from an earlier call can never claim a chunk of the next one.
     */
    private final Job job = new Job();
    private volatile boolean closed;

    /** The next-chunk value of a closed generation: above any chunk count, so nothing can be claimed. */
    private static final long CLOSED = Integer.MAX_VALUE;

    /** The state of the call in flight; {@link #claims} holds its generation (high 32 bits) and next chunk (low 32). */
    private static final class Job {
        /** Generation and next unclaimed chunk; a claim succeeds only within the current generation. */
        final AtomicLong claims = new AtomicLong();
        final AtomicInteger remaining = new AtomicInteger();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        // Written by the calling thread before claims publishes the generation; read by workers after a successful claim.
        Chunk task;
        int chunks;
        Thread waiter;

        /** Claims and runs chunks of generation {@code gen} until none are left (or the generation ended). */
        void work(int gen) {
            while (true) {
                long c = claims.get();
                if ((int) (c >>> 32) != gen) return;
                int i = (int) c;
                Chunk t = task;
                int n = chunks;
                if (i >= n) return;
                if (!claims.compareAndSet(c, c + 1)) continue;
                if (error.get() == null) {
                    try {
                        t.run(i);
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    }
                }
                if (remaining.decrementAndGet() == 0) LockSupport.unpark(waiter);
            }
        }
    }

    /**
     * A pool sized to the machine ({@link Runtime#availableProcessors()}).
     *
     * @return a new pool
     */
    public static ThreadPool create() {
        return new ThreadPool(Runtime.getRuntime().availableProcessors());
    }

    /**
     * A pool that runs up to {@code threads} chunks at once (the caller counts as one).
     *
     * @param threads at least 1
     */
    public ThreadPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            Thread t = new Thread(this::workerLoop, "adjoint-pool-" + (w + 1));
            t.setDaemon(true);
            workers[w] = t;
        }
        for (Thread t : workers) t.start();
    }

    @Override
    public int threads() { return threads; }

    @Override
    public void forEach(int chunks, Chunk task) {
        if (chunks <= 0) return;
        if (chunks == 1 || workers.length == 0 || closed || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < chunks; i++) task.run(i);
            return;
        }
        Job j = job;
        int gen;
        try {
            // Every chunk of the last generation finished before its forEach returned, but a worker
            // may still be in its claim loop, between reading an exhausted claim word and its
            // compare-and-set. Were task and chunks rewritten under that old word, the worker could
            // read the new (larger) chunk count, claim past the old end and run a chunk of the new
            // task (or a null one) before the call is set up. So the old word is retired first by a
            // closed generation (next chunk CLOSED: nothing to claim), the fields are written under
            // it, and only then is the open generation published.
            int closedGen = (int) (j.claims.get() >>> 32) + 1;
            j.claims.set(((long) closedGen << 32) | CLOSED);
            j.task = task;
            j.chunks = chunks;
            j.waiter = Thread.currentThread();
            j.error.set(null);
            j.remaining.set(chunks);
            gen = closedGen + 1;
            j.claims.set((long) gen << 32);
            for (Thread w : workers) LockSupport.unpark(w);
            j.work(gen);
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (j.remaining.get() > 0) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this);
            }
        } finally {
            j.task = null; // drop the task so the pool does not keep the caller's data alive
            j.waiter = null;
            busy.set(false);
        }
        Throwable t = j.error.getAndSet(null);
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException("chunk failed", t);
    }

    private void workerLoop() {
        int seen = 0;
        while (!closed) {
            int gen = (int) (job.claims.get() >>> 32);
            if (gen != seen) {
                seen = gen;
                job.work(gen);
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (idle(seen) && !closed && System.nanoTime() < spinUntil) Thread.onSpinWait();
            // A forEach that publishes after this check also unparks us, so the permit is not lost.
            if (idle(seen) && !closed) LockSupport.park(this);
        }
    }

    private boolean idle(int seen) {
        return (int) (job.claims.get() >>> 32) == seen;
    }

    /** Stops the workers; later calls to {@link #forEach} run on the caller. */
    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
