package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Regression tests of issue 11's executor defects: leaks, concurrent runs, deep chains, aliasing. */
class ReliabilityTest {

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    /** A weak reference to the fused program of a plan that was compiled, run on the pool and dropped. */
    private static WeakReference<Object> programOfADroppedPlan(int n) {
        Graph g = new Graph();
        Tensor x = g.input("x", n);
        Plan p = Cpu.compile(List.of(x.tanh().mul(2).add(1).sum()));
        p.run(Map.of(x, new float[n]));
        Object program = null;
        for (Step s : p.stepsForTest()) if (s instanceof Steps.Fused f) program = f.program();
        assertTrue(program != null, p.describe());
        return new WeakReference<>(program);
    }

    private static WeakReference<Plan> runAndDrop(int n) {
        Graph g = new Graph();
        Tensor x = g.input("x", n);
        Plan p = Cpu.compile(List.of(x.tanh().mul(2).add(1).sum()));
        p.run(Map.of(x, new float[n]));
        assertEquals(n, p.output(0)[0], 0f);
        return new WeakReference<>(p);
    }

    /** Issue 11 #1: a dropped plan, run on the pool's worker threads, is collected; its scratch is not kept per thread. */
    @Test void aDroppedPlanIsCollected() {
        WeakReference<Plan> ref = runAndDrop(1 << 18); // large enough to split over the pool's workers
        // The leak kept the fused program (and its scratch) reachable from every thread that ran it.
        WeakReference<Object> program = programOfADroppedPlan(1 << 18);
        for (int i = 0; i < 50 && (ref.get() != null || program.get() != null); i++) System.gc();
        assertNull(ref.get(), "a plan nobody refers to stayed reachable");
        assertNull(program.get(), "the fused program of a dropped plan stayed reachable (a thread-local workspace?)");
    }

    /** Issue 11 #1: thousands of compiled, run and dropped plans hold no memory (each used to keep 32 KiB per thread). */
    @Test void thousandsOfPlansHoldNoMemory() {
        for (int i = 0; i < 200; i++) runAndDrop(64);
        long before = usedAfterGc();
        for (int i = 0; i < 3000; i++) runAndDrop(64 + i % 7);
        long grown = usedAfterGc() - before;
        // 3,000 plans at 32 KiB each would be 94 MiB; allow noise of 8 MiB.
        assertTrue(grown < 8L << 20, "heap grew by " + grown + " bytes over 3,000 dropped plans");
    }

    /** Issue 11 #1: the fused program's per-thread scratch is counted in the planned bytes. */
    @Test void plannedBytesCountFusedScratch() {
        Graph g = new Graph();
        Tensor x = g.input("x", 8);
        Plan p = Cpu.compile(List.of(x.exp().mul(x).sum()), CompileOptions.defaults().withSplitter(dev.adjoint.kernels.WorkSplitter.SERIAL));
        // The output (4 B) and at least one 240-float scratch register block.
        assertTrue(p.plannedPeakBytes() > 4 * 240, p.describe());
    }

    private static Plan matmulPlan(Tensor[] in) {
        Graph g = new Graph();
        Tensor a = g.input("a", 64, 64), b = g.input("b", 64, 64);
        in[0] = a;
        in[1] = b;
        return Cpu.compile(List.of(a.matmul(b).tanh().sum()));
    }

    private static float[] ramp(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = ((i * 37) % 101 - 50) * scale;
        return v;
    }

    /** Issue 11 #2: a second thread running a plan already running is refused with a clear error, not a wrong result. */
    @Test void aConcurrentRunOnOnePlanIsRefused() throws Exception {
        Tensor[] in = new Tensor[2];
        Plan p = matmulPlan(in);
        float[] a = ramp(64 * 64, 1e-3f), b = ramp(64 * 64, 2e-3f);
        p.run(a, b);
        float expected = p.output(0)[0];
        AtomicInteger refused = new AtomicInteger(), wrong = new AtomicInteger();
        AtomicReference<Throwable> other = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        Runnable work = () -> {
            try {
                start.await();
                for (int i = 0; i < 300; i++) {
                    try {
                        p.run(a, b);
                        // another thread may have started a run since; only a refused run may differ
                    } catch (IllegalStateException e) {
                        assertTrue(e.getMessage().contains("already running") && e.getMessage().contains("copy()"), e.getMessage());
                        refused.incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                other.set(t);
            }
        };
        Thread t1 = new Thread(work), t2 = new Thread(work);
        t1.start();
        t2.start();
        start.countDown();
        t1.join();
        t2.join();
        if (other.get() != null) throw new AssertionError(other.get());
        p.run(a, b);
        assertEquals(expected, p.output(0)[0], 0f);
        assertTrue(wrong.get() == 0);
        // refused may be 0 on a machine that never overlaps the two threads; the result is right either way.
    }

    /** Issue 11 #2: copies share the constants and run concurrently, each with the right result. */
    @Test void copiesRunConcurrentlyAndShareConstants() throws Exception {
        Graph g = new Graph();
        Tensor x = g.input("x", 32, 48);
        Tensor w = g.constant(dev.adjoint.graph.Shape.of(48, 16), toDoubles(ramp(48 * 16, 1e-2f)));
        Plan p = Cpu.compile(List.of(x.matmul(w).tanh().sum(1)));
        float[][] xs = new float[2][];
        float[][] expected = new float[2][];
        for (int k = 0; k < 2; k++) {
            xs[k] = ramp(32 * 48, (k + 1) * 1e-2f);
            p.run(xs[k]);
            expected[k] = p.output(0).clone();
        }
        Plan[] copies = {p.copy(), p.copy()};
        int shared = 0;
        for (Object buf : copies[0].buffersForTest()) if (p.sharesConstant(buf)) shared++;
        assertTrue(shared >= 1, "the copy shares no constant with the original");
        AtomicInteger wrong = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] ts = new Thread[2];
        for (int k = 0; k < 2; k++) {
            int kk = k;
            ts[k] = new Thread(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        copies[kk].run(xs[kk]);
                        if (!java.util.Arrays.equals(expected[kk], copies[kk].output(0))) wrong.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            ts[k].start();
        }
        for (Thread t : ts) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertEquals(0, wrong.get(), "wrong runs out of 600");
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Issue 11 #3: a chain of a million fused adds compiles (the lowering used one stack frame per node) and runs. */
    @Test void aMillionNodeChainCompiles() {
        Graph g = new Graph();
        Tensor x = g.input("x", 3), y;
        // One call site for all (a stack walk per node would be most of the test's time).
        y = g.withSite(new StackTraceElement("ReliabilityTest", "chain", "ReliabilityTest.java", 1), () -> {
            Tensor z = x;
            for (int i = 0; i < 1_000_000; i++) z = z.add(x);
            return z;
        });
        Plan p = Cpu.compile(List.of(y), CompileOptions.defaults().withOptimizer(false));
        p.run(new float[] {1, 2, -0.5f});
        assertArrayEquals(new float[] {1_000_001f, 2_000_002f, -500_000.5f}, p.output(0));
    }

    /** Issue 11 #5: feeding the plan's own output array back as an input gives the right answer. */
    @Test void feedingAnOutputBackIsSafe() {
        Graph g = new Graph();
        Tensor w = g.input("w", 4);
        Plan p = Cpu.compile(List.of(w.mul(2), w.add(1).sqrt()));
        p.run(new float[] {1, 2, 3, 4});
        float[] w1 = p.output(0).clone(); // 2, 4, 6, 8
        p.run(p.output(0));
        assertArrayEquals(new float[] {4, 8, 12, 16}, p.output(0));
        float[] s = p.output(1);
        for (int i = 0; i < 4; i++) assertEquals((float) Math.sqrt(w1[i] + 1), s[i], 0f);
    }
}
