package dev.adjoint.bench;

import dev.adjoint.kernels.Gemm;
import dev.adjoint.kernels.GemmEpilogue;
import dev.adjoint.kernels.GemmWorkspace;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Square row-major SGEMM {@code C = A B}, n x n, on 1 or 2 threads. GFLOP/s = 2 n^3 / time; the
 * peer is bench/peers/numpy_gemm.py (OpenBLAS through numpy), run right after in the same session.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmBench {
    /** Matrix size. */
    @Param({"128", "256", "512", "1024", "2048"})
    public int n;
    /** Threads the splitter offers. */
    @Param({"1", "2"})
    public int threads;
    /** Whether a transposed B is read (the A B^T of a linear layer's backward pass). */
    @Param({"false"})
    public boolean transB;

    private float[] a, b, c;
    private final GemmWorkspace ws = new GemmWorkspace();
    private WorkSplitter splitter;
    private ThreadPool pool;

    /** Random operands, and the splitter. */
    @Setup public void setup() {
        SplittableRandom r = new SplittableRandom(1);
        a = new float[n * n]; b = new float[n * n]; c = new float[n * n];
        for (int i = 0; i < n * n; i++) { a[i] = (float) r.nextDouble(); b[i] = (float) r.nextDouble(); }
        if (threads == 1) splitter = WorkSplitter.SERIAL;
        else splitter = pool = new ThreadPool(threads);
    }

    /** Stops the pool. */
    @TearDown public void tearDown() { if (pool != null) pool.close(); }

    /** One GEMM. */
    @Benchmark public float[] sgemm() {
        Gemm.sgemm(1, n, n, n, 1f, a, 0, n, 1, 0, b, 0, transB ? 1 : n, transB ? n : 1, 0, false,
                c, 0, n, 0, GemmEpilogue.NONE, ws, splitter);
        return c;
    }
}
