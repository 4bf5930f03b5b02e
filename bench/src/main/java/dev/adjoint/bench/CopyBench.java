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

    /** Allocates the arrays. */
    @Setup public void setup() { src = new float[n]; dst = new float[n]; }

    /** One pass: reads n floats, writes n floats. */
    @Benchmark public float[] copy() { System.arraycopy(src, 0, dst, 0, n); return dst; }
}
