package dev.adjoint.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * The pool reuses one job object across calls: a worker still in its claim loop from one call must
 * never run a chunk of the next (a race that once ran a chunk twice, or a null task, when a short
 * call was followed by a longer one).
 */
class ThreadPoolReuseTest {
    @Test
    void everyChunkRunsExactlyOnceAcrossCallsOfChangingSize() {
        try (ThreadPool pool = new ThreadPool(2)) {
            int[] sizes = {2, 16, 3, 9, 2, 31};
            AtomicIntegerArray[] runs = new AtomicIntegerArray[sizes.length];
            for (int s = 0; s < sizes.length; s++) runs[s] = new AtomicIntegerArray(sizes[s]);
            for (int call = 0; call < 200_000; call++) {
                int s = call % sizes.length;
                AtomicIntegerArray r = runs[s];
                for (int i = 0; i < sizes[s]; i++) r.set(i, 0);
                pool.forEach(sizes[s], r::incrementAndGet);
                for (int i = 0; i < sizes[s]; i++) assertEquals(1, r.get(i), "call " + call + ", chunk " + i + " of " + sizes[s]);
            }
        }
    }
}
