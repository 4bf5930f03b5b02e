package dev.adjoint.bench;

import dev.adjoint.kernels.BinaryKernelOp;
import dev.adjoint.kernels.Elementwise;
import dev.adjoint.kernels.FusedProgram;
import dev.adjoint.kernels.UnaryKernelOp;
import dev.adjoint.kernels.WorkSplitter;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The fused elementwise kernel against the same chain run op by op. The 4-op chain
 * {@code max(x * 0.5 + 1, 0) - y} reads two arrays and writes one (12n bytes) when fused;
 * unfused it makes four passes (44n bytes).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FusedBench {
    /** Number of output floats. */
    @Param({"1048576", "16777216"})
    public int n;
    private float[] x, y, t1, t2, out;
    private float[][] in;
    private int[] offs, shape, dense, cHalf, cOne;
    private int[][] strides;
    private FusedProgram chain4, chain4Unary;
    private dev.adjoint.kernels.ThreadPool pool;
    private float[] half, one, zero;
    private int[][] strides1;
    private float[][] in1;
    private int[] offs1;

    /** Builds the programs and arrays. */
    @Setup public void setup() {
        x = new float[n]; y = new float[n]; t1 = new float[n]; t2 = new float[n]; out = new float[n];
        for (int i = 0; i < n; i++) { x[i] = (i % 1000) * 1e-3f - 0.5f; y[i] = (i % 13) * 0.1f; }
        FusedProgram.Builder b = FusedProgram.builder(2);
        int v = b.binary(BinaryKernelOp.MUL, b.load(0), b.constant(0.5f));
        v = b.binary(BinaryKernelOp.ADD, v, b.constant(1f));
        v = b.binary(BinaryKernelOp.MAX, v, b.constant(0f));
        chain4 = b.build(b.binary(BinaryKernelOp.SUB, v, b.load(1)));
        FusedProgram.Builder u = FusedProgram.builder(1);
        int w = u.binary(BinaryKernelOp.MUL, u.load(0), u.constant(0.5f));
        w = u.unary(UnaryKernelOp.TANH, w);
        w = u.binary(BinaryKernelOp.ADD, w, u.constant(1f));
        chain4Unary = u.build(u.binary(BinaryKernelOp.MAX, w, u.constant(0f)));
        pool = dev.adjoint.kernels.ThreadPool.create();
        in = new float[][] {x, y};
        offs = new int[2];
        shape = new int[] {n};
        dense = new int[] {1};
        strides = new int[][] {dense, dense};
        in1 = new float[][] {x};
        offs1 = new int[1];
        strides1 = new int[][] {dense};
        half = new float[] {0.5f}; one = new float[] {1f}; zero = new float[] {0f};
        cHalf = new int[] {0};
        cOne = cHalf;
    }

    /** Fused 4-op chain over two inputs: one pass. */
    @Benchmark public float[] chain4Fused() { chain4.run(shape, in, offs, strides, out, 0, WorkSplitter.SERIAL); return out; }

    /** The fused chain on the machine-sized pool. */
    @Benchmark public float[] chain4FusedPool() { chain4.run(shape, in, offs, strides, out, 0, pool); return out; }

    /** Stops the pool. */
    @TearDown public void tearDown() { pool.close(); }

    /** The same chain as four separate kernels (scalars broadcast with stride 0): four passes. */
    @Benchmark public float[] chain4Unfused() {
        Elementwise.binary(BinaryKernelOp.MUL, shape, x, 0, dense, half, 0, cHalf, t1, 0, WorkSplitter.SERIAL);
        Elementwise.binary(BinaryKernelOp.ADD, shape, t1, 0, dense, one, 0, cOne, t2, 0, WorkSplitter.SERIAL);
        Elementwise.binary(BinaryKernelOp.MAX, shape, t2, 0, dense, zero, 0, cOne, t1, 0, WorkSplitter.SERIAL);
        Elementwise.binary(BinaryKernelOp.SUB, shape, t1, 0, dense, y, 0, dense, out, 0, WorkSplitter.SERIAL);
        return out;
    }

    /** relu(tanh(x * 0.5) + 1), one input: 8n bytes, the same traffic as a copy. */
    @Benchmark public float[] chain4TanhFused() { chain4Unary.run(shape, in1, offs1, strides1, out, 0, WorkSplitter.SERIAL); return out; }
}
