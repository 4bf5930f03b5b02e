package dev.adjoint.bench;

import dev.adjoint.kernels.ReduceKernelOp;
import dev.adjoint.kernels.Reduce;
import dev.adjoint.kernels.WorkSplitter;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Reductions of n floats (4n bytes read) against a read-bandwidth yardstick:
 * {@link Arrays#mismatch(float[], float[])} of two equal arrays, an intrinsic that reads 8n
 * bytes and computes next to nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReduceBench {
    /** Number of input floats (a square-ish [n/1024, 1024] matrix for the axis cases). */
    @Param({"1048576", "16777216"})
    public int n;
    private float[] x, x2, out;
    private dev.adjoint.kernels.ThreadPool pool;
    private int[] flat, flatStr, mat, matStr, all, ax0, ax1;

    /** Allocates and fills the arrays. */
    @Setup public void setup() {
        x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (i % 1000) * 1e-3f;
        x2 = x.clone();
        pool = dev.adjoint.kernels.ThreadPool.create();
        out = new float[n / 1024 + 1024];
        flat = new int[] {n}; flatStr = new int[] {1};
        mat = new int[] {n / 1024, 1024}; matStr = new int[] {1024, 1};
        all = new int[] {0}; ax0 = new int[] {0}; ax1 = new int[] {1};
    }

    /** Read yardstick: compares two equal arrays (reads 8n bytes). */
    @Benchmark public int readYardstick() { return Arrays.mismatch(x, x2); }

    /** Sum of everything. */
    @Benchmark public float[] sumAll() { Reduce.reduce(ReduceKernelOp.SUM, flat, x, 0, flatStr, all, out, 0, WorkSplitter.SERIAL); return out; }

    /** Sum of everything on the machine-sized pool. */
    @Benchmark public float[] sumAllPool() { Reduce.reduce(ReduceKernelOp.SUM, flat, x, 0, flatStr, all, out, 0, pool); return out; }

    /** Row sums on the machine-sized pool. */
    @Benchmark public float[] sumRowsPool() { Reduce.reduce(ReduceKernelOp.SUM, mat, x, 0, matStr, ax1, out, 0, pool); return out; }

    /** Read yardstick on both cores: each thread compares half of the arrays. */
    @Benchmark public int readYardstickPool() {
        int h = n / 2;
        int[] r = new int[2];
        pool.forEach(2, i -> r[i] = Arrays.mismatch(x, i * h, i * h + h, x2, i * h, i * h + h));
        return r[0] + r[1];
    }

    /** Stops the pool. */
    @TearDown public void tearDown() { pool.close(); }

    /** Max of everything. */
    @Benchmark public float[] maxAll() { Reduce.reduce(ReduceKernelOp.MAX, flat, x, 0, flatStr, all, out, 0, WorkSplitter.SERIAL); return out; }

    /** Row sums of [n/1024, 1024] (inner contiguous axis reduced). */
    @Benchmark public float[] sumRows() { Reduce.reduce(ReduceKernelOp.SUM, mat, x, 0, matStr, ax1, out, 0, WorkSplitter.SERIAL); return out; }

    /** Column sums of [n/1024, 1024] (outer axis reduced: vector adds of rows). */
    @Benchmark public float[] sumCols() { Reduce.reduce(ReduceKernelOp.SUM, mat, x, 0, matStr, ax0, out, 0, WorkSplitter.SERIAL); return out; }
}
