package dev.adjoint.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Test stand-in for the executor's pool: runs chunks on a fixed ExecutorService and waits for all. */
final class GemmExecutorSplitter implements WorkSplitter, AutoCloseable {
    private final ExecutorService pool;
    private final int threads;

    GemmExecutorSplitter(int threads) {
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "gemm-test");
            t.setDaemon(true);
            return t;
        });
    }

    @Override public int threads() { return threads; }

    @Override public void forEach(int chunks, Chunk task) {
        Future<?>[] fs = new Future<?>[chunks];
        for (int i = 0; i < chunks; i++) {
            int idx = i;
            fs[i] = pool.submit(() -> task.run(idx));
        }
        try {
            for (Future<?> f : fs) f.get();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Override public void close() { pool.shutdownNow(); }
}
