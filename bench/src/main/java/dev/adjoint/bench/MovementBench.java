package dev.adjoint.bench;

import dev.adjoint.kernels.Elementwise;
import dev.adjoint.kernels.Movement;
import dev.adjoint.kernels.WorkSplitter;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Data movement on an [n/1024, 1024] matrix; each moves about 8n bytes like {@link CopyBench}. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MovementBench {
    /** Number of input floats. */
    @Param({"1048576", "16777216"})
    public int n;
    private float[] x, out;
    private int[] shape, perm, lo, hi, zero, padded, axes1, sliceShape, shape1;
    private dev.adjoint.kernels.ThreadPool pool;
    private int[][] halves;
    private float[][] halvesData;
    private int[] halvesOff;

    /** Allocates the arrays. */
    @Setup public void setup() {
        x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i;
        out = new float[n + 4 * (n / 1024) + 4096];
        shape = new int[] {n / 1024, 1024};
        perm = new int[] {1, 0};
        lo = new int[] {1, 1}; hi = new int[] {1, 1}; zero = new int[] {0, 0};
        padded = new int[] {shape[0] + 2, shape[1] + 2};
        axes1 = new int[] {1};
        sliceShape = new int[] {n / 1024, 1022}; shape1 = new int[] {1024, 1};
        pool = dev.adjoint.kernels.ThreadPool.create();
        halves = new int[][] {{n / 2048, 1024}, {n / 2048, 1024}};
        halvesData = new float[][] {x, x};
        halvesOff = new int[] {0, n / 2};
    }

    /** Stops the pool. */
    @TearDown public void tearDown() { pool.close(); }

    /** 2-D transpose (tiled path). */
    @Benchmark public float[] transpose() { Movement.transpose(shape, x, 0, perm, out, 0, WorkSplitter.SERIAL); return out; }

    /** One zero border on each side of both axes. */
    @Benchmark public float[] pad() { Movement.pad(shape, x, 0, lo, hi, zero, padded, out, 0, WorkSplitter.SERIAL); return out; }

    /** Crop one column on each side: strided rows (a slice view materialized by a plan's copy). */
    @Benchmark public float[] slice() { Elementwise.copy(sliceShape, x, 1, shape1, out, 0, WorkSplitter.SERIAL); return out; }

    /** 2-D transpose on the machine-sized pool. */
    @Benchmark public float[] transposePool() { Movement.transpose(shape, x, 0, perm, out, 0, pool); return out; }

    /** Reverse the inner axis (vector reverse shuffles). */
    @Benchmark public float[] revInner() { Movement.rev(shape, x, 0, axes1, out, 0, WorkSplitter.SERIAL); return out; }

    /** Concatenate two halves along axis 0. */
    @Benchmark public float[] concatenate() { Movement.concatenate(0, halves, halvesData, halvesOff, out, 0, WorkSplitter.SERIAL); return out; }
}
