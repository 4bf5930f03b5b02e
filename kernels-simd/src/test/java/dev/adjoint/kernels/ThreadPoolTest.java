package dev.adjoint.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {
    @Test
    void runsEveryChunkExactlyOnce() {
        try (ThreadPool pool = new ThreadPool(3)) {
            assertEquals(3, pool.threads());
            for (int chunks : new int[] {0, 1, 2, 3, 7, 100, 10_000}) {
                for (int rep = 0; rep < 20; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(chunks, 1));
                    pool.forEach(chunks, i -> hits.incrementAndGet(i));
                    for (int i = 0; i < chunks; i++) assertEquals(1, hits.get(i), "chunk " + i + " of " + chunks);
                }
            }
        }
    }

    @Test
    void exceptionPropagatesAndPoolStaysUsable() {
        try (ThreadPool pool = new ThreadPool(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            for (int rep = 0; rep < 50; rep++) {
                IllegalStateException got = assertThrows(IllegalStateException.class, () -> pool.forEach(16, i -> {
                    if (i == 5) throw boom;
                }));
                assertSame(boom, got);
                AtomicIntegerArray hits = new AtomicIntegerArray(16);
                pool.forEach(16, i -> hits.incrementAndGet(i));
                for (int i = 0; i < 16; i++) assertEquals(1, hits.get(i));
            }
            assertThrows(AssertionError.class, () -> pool.forEach(4, i -> { throw new AssertionError("x"); }));
        }
    }

    @Test
    void nestedAndConcurrentCallsRunInline() throws Exception {
        try (ThreadPool pool = new ThreadPool(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            pool.forEach(8, i -> pool.forEach(8, j -> hits.incrementAndGet(i * 8 + j)));
            for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i));
            AtomicIntegerArray h2 = new AtomicIntegerArray(4 * 1000);
            Thread[] ts = new Thread[4];
            for (int t = 0; t < 4; t++) {
                int base = t * 1000;
                ts[t] = new Thread(() -> { for (int rep = 0; rep < 10; rep++) pool.forEach(1000, i -> h2.incrementAndGet(base + i)); });
                ts[t].start();
            }
            for (Thread t : ts) t.join();
            for (int i = 0; i < 4000; i++) assertEquals(10, h2.get(i));
        }
    }

    @Test
    void defaultPoolMatchesMachineAndUsesDaemons() {
        try (ThreadPool pool = ThreadPool.create()) {
            assertEquals(Runtime.getRuntime().availableProcessors(), pool.threads());
            boolean[] daemon = {true};
            pool.forEach(64, i -> { if (!Thread.currentThread().isDaemon() && !Thread.currentThread().getName().equals("main")
                    && Thread.currentThread().getName().startsWith("adjoint")) daemon[0] = false; });
            assertTrue(daemon[0]);
        }
    }
}
