package dev.adjoint.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
    private volatile Job current;
    private volatile boolean closed;

    /** One forEach call; workers hold on to the job they saw, so a late worker cannot mix two calls. */
    private static final class Job {
        final Chunk task;
        final int chunks;
        final Thread waiter;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining;
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Job(Chunk task, int chunks, Thread waiter) {
            this.task = task;
            this.chunks = chunks;
            this.waiter = waiter;
            this.remaining = new AtomicInteger(chunks);
        }

        /** Claims and runs chunks until none are left. */
        void work() {
            int i;
            while ((i = next.getAndIncrement()) < chunks) {
                if (error.get() == null) {
                    try {
                        task.run(i);
                    } catch (Throwable t) {
                        error.compareAndSet(null, t);
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
        Job job = new Job(task, chunks, Thread.currentThread());
        try {
            current = job;
            for (Thread w : workers) LockSupport.unpark(w);
            job.work();
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (job.remaining.get() > 0) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this);
            }
        } finally {
            current = null; // drop the task so the pool does not keep the caller's data alive
            busy.set(false);
        }
        Throwable t = job.error.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException("chunk failed", t);
    }

    private void workerLoop() {
        Job seen = null;
        while (!closed) {
            Job job = current;
            if (job != null && job != seen) {
                seen = job;
                job.work();
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (idle(seen) && !closed && System.nanoTime() < spinUntil) Thread.onSpinWait();
            // A forEach that publishes after this check also unparks us, so the permit is not lost.
            if (idle(seen) && !closed) LockSupport.park(this);
        }
    }

    private boolean idle(Job seen) {
        Job j = current;
        return j == null || j == seen;
    }

    /** Stops the workers; later calls to {@link #forEach} run on the caller. */
    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
