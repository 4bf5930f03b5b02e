package dev.adjoint.bench;

import dev.adjoint.kernels.BinaryKernelOp;
import dev.adjoint.kernels.Elementwise;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.UnaryKernelOp;
import dev.adjoint.kernels.WorkSplitter;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Single elementwise kernels, single-threaded unless named {@code *Pool}. Bytes moved per
 * op: unary 8n (like {@link CopyBench}), binary 12n, broadcast-add 8n (the bias row stays
 * in cache).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ElementwiseBench {
    /** Number of output floats. */
    @Param({"1048576", "16777216"})
    public int n;
    private float[] a, b, bias, out;
    private int[] shape, dense, shape2, dense2, rowBcast;
    private ThreadPool pool;

    /** Allocates and fills the arrays. */
    @Setup public void setup() {
        a = new float[n]; b = new float[n]; out = new float[n]; bias = new float[1024];
        for (int i = 0; i < n; i++) { a[i] = (i % 1000) * 1e-3f - 0.5f; b[i] = 1 + (i % 7); }
        shape = new int[] {n}; dense = new int[] {1};
        shape2 = new int[] {n / 1024, 1024}; dense2 = new int[] {1024, 1}; rowBcast = new int[] {0, 1};
        pool = ThreadPool.create();
    }

    /** Stops the pool. */
    @TearDown public void tearDown() { pool.close(); }

    /** out = -a: the cheapest unary op, a pure streaming pass. */
    @Benchmark public float[] neg() { Elementwise.unary(UnaryKernelOp.NEG, shape, a, 0, dense, out, 0, WorkSplitter.SERIAL); return out; }

    /** out = exp(a): polynomial exp, about 20 flops per element. */
    @Benchmark public float[] exp() { Elementwise.unary(UnaryKernelOp.EXP, shape, a, 0, dense, out, 0, WorkSplitter.SERIAL); return out; }

    /** out = tanh(a). */
    @Benchmark public float[] tanh() { Elementwise.unary(UnaryKernelOp.TANH, shape, a, 0, dense, out, 0, WorkSplitter.SERIAL); return out; }

    /** out = a + b: two reads and one write. */
    @Benchmark public float[] add() { Elementwise.binary(BinaryKernelOp.ADD, shape, a, 0, dense, b, 0, dense, out, 0, WorkSplitter.SERIAL); return out; }

    /** out[i, j] = a[i, j] + bias[j]: the broadcast is read as a row, never materialized. */
    @Benchmark public float[] addRowBroadcast() {
        Elementwise.binary(BinaryKernelOp.ADD, shape2, a, 0, dense2, bias, 0, rowBcast, out, 0, WorkSplitter.SERIAL);
        return out;
    }

    /** out = exp(a) on the machine-sized pool. */
    @Benchmark public float[] expPool() { Elementwise.unary(UnaryKernelOp.EXP, shape, a, 0, dense, out, 0, pool); return out; }

    /** out = -a on the machine-sized pool. */
    @Benchmark public float[] negPool() { Elementwise.unary(UnaryKernelOp.NEG, shape, a, 0, dense, out, 0, pool); return out; }
}
