package dev.adjoint.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Memory-bandwidth yardstick: one read and one write pass (System.arraycopy), the machine's limit for memory-bound kernels. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CopyBench {
    /** Number of floats copied. */
    @Param({"1048576", "16777216"})
    public int n;
    private float[] src, dst;
    private dev.adjoint.kernels.ThreadPool pool;

    /** Allocates the arrays. */
    @Setup public void setup() { src = new float[n]; dst = new float[n]; pool = dev.adjoint.kernels.ThreadPool.create(); }

    /** Both cores, each copying half (the 2-thread yardstick). */
    @Benchmark public float[] copyPool() {
        int h = n / 2;
        pool.forEach(2, i -> System.arraycopy(src, i * h, dst, i * h, i == 0 ? h : n - h));
        return dst;
    }

    /** Stops the pool. */
    @TearDown public void tearDown() { pool.close(); }

    /** One pass: reads n floats, writes n floats. */
    @Benchmark public float[] copy() { System.arraycopy(src, 0, dst, 0, n); return dst; }
}
