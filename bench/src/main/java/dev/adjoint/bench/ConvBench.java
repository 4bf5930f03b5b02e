package dev.adjoint.bench;

import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.kernels.Conv;
import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvKernelLayout;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.Movement;
import dev.adjoint.kernels.WorkSplitter;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.*;

/**
 * Conv layers (NHWC, HWIO), forward alone and forward + both backward convs, as the graph would emit
 * them: dx = conv(dy, flipped k) with the input-gradient geometry (k read in place through
 * {@link ConvKernelLayout#flippedForInputGradient}); dk = conv of x with batch and channels exchanged
 * (x transposed to [Cin, S.., N] and the result back to HWIO with Movement.transpose, both included in the time; dy read in
 * place as the kernel). Peer: bench/peers/torch_conv.py.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ConvBench {
    /** Layer: name_N_H_Cin_Cout_k[s]. */
    @Param({"A_n32_14_32_64_k3", "B_n8_56_64_64_k3", "C_n8_56_64_64_k3s2", "D_n32_28_1_32_k5"})
    public String layer;
    /** Threads for the splitter. */
    @Param({"1", "2"})
    public int threads;

    private ConvGeometry g, gx, gk;
    private ConvWorkspace ws, wsx, wsk;
    private float[] x, k, y, dy, dx, xt, dkc, dk;
    private ExecutorService pool;
    private boolean needDx;
    private ConvKernelLayout flipped, dyAsKernel;
    private WorkSplitter split;
    private int[] xShape3, dkcShape3;
    private static final int[] SWAP_FIRST_LAST = {2, 1, 0}, SWAP_OUTER = {1, 0, 2};

    /** Builds the layer, its workspaces and data. */
    @Setup
    public void setup() {
        int n, h, cin, cout, kk, s = 1, p;
        switch (layer) {
            case "A_n32_14_32_64_k3" -> { n = 32; h = 14; cin = 32; cout = 64; kk = 3; p = 1; }
            case "B_n8_56_64_64_k3" -> { n = 8; h = 56; cin = 64; cout = 64; kk = 3; p = 1; }
            case "C_n8_56_64_64_k3s2" -> { n = 8; h = 56; cin = 64; cout = 64; kk = 3; p = 1; s = 2; }
            case "D_n32_28_1_32_k5" -> { n = 32; h = 28; cin = 1; cout = 32; kk = 5; p = 2; }
            default -> throw new IllegalArgumentException(layer);
        }
        g = ConvGeometry.simple(n, new int[] {h, h}, cin, new int[] {kk, kk}, cout, s, p, 1);
        // The backward geometries from the graph op's transposes, as autodiff builds them.
        dev.adjoint.graph.op.Conv op = new dev.adjoint.graph.op.Conv(Ints.of(s, s), Ints.of(p, p), Ints.of(p, p), Ints.of(1, 1), Ints.of(1, 1), 1);
        Shape xs = Shape.of(n, h, h, cin), ks = Shape.of(kk, kk, cin, cout), ys = op.infer(java.util.List.of(xs, ks));
        dev.adjoint.graph.op.Conv.Transposed tx = op.inputGradient(xs, ks, ys), tk = op.kernelGradient(xs, ks, ys);
        gx = ConvGeometry.of(tx.conv(), tx.lhs().merged(), tx.rhs().merged());
        gk = ConvGeometry.of(tk.conv(), tk.lhs().merged(), tk.rhs().merged());
        ws = new ConvWorkspace(g, threads);
        wsx = new ConvWorkspace(gx, threads);
        wsk = new ConvWorkspace(gk, threads);
        SplittableRandom rnd = new SplittableRandom(1);
        x = rand(rnd, g.inputLength()); k = rand(rnd, g.kernelLength()); dy = rand(rnd, g.outputLength());
        y = new float[(int) g.outputLength()];
        dx = new float[x.length]; xt = new float[x.length];
        dkc = new float[k.length]; dk = new float[k.length];
        needDx = !layer.startsWith("D");
        flipped = ConvKernelLayout.flippedForInputGradient(g);
        dyAsKernel = ConvKernelLayout.cotangentForKernelGradient(g);
        split = threads == 1 ? WorkSplitter.SERIAL : poolSplitter(threads);
        xShape3 = new int[] {g.batch, (int) g.inSpatial(), g.cin};
        dkcShape3 = new int[] {g.cin, (int) g.taps(), g.cout};
    }

    private WorkSplitter poolSplitter(int t) {
        pool = Executors.newFixedThreadPool(t - 1);
        return new WorkSplitter() {
            @Override public int threads() { return t; }
            @Override public void forEach(int chunks, Chunk task) {
                // Caller and workers take chunk indices from one counter: self-balancing.
                AtomicInteger next = new AtomicInteger();
                Runnable loop = () -> { for (int i; (i = next.getAndIncrement()) < chunks; ) task.run(i); };
                Future<?>[] fs = new Future<?>[t - 1];
                for (int w = 0; w < t - 1; w++) fs[w] = pool.submit(loop);
                loop.run();
                try { for (Future<?> f : fs) f.get(); } catch (Exception e) { throw new RuntimeException(e); }
            }
        };
    }

    /** Stops the pool. */
    @TearDown
    public void tearDown() { if (pool != null) pool.shutdownNow(); }

    private static float[] rand(SplittableRandom rnd, long len) {
        float[] a = new float[(int) len];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** @return y = conv(x, k) */
    @Benchmark
    public float[] forward() {
        Conv.forward(ws, x, 0, k, 0, y, 0, split);
        return y;
    }

    /**
     * @return dk after forward, dx (except for the first layer D, whose input needs no gradient;
     *         the PyTorch peer does the same) and dk
     */
    @Benchmark
    public float[] forwardBackward() {
        Conv.forward(ws, x, 0, k, 0, y, 0, split);
        if (needDx) Conv.forward(wsx, dy, 0, k, 0, flipped, dx, 0, split, Conv.Path.AUTO);
        Movement.transpose(xShape3, x, 0, SWAP_FIRST_LAST, xt, 0, split);
        Conv.forward(wsk, xt, 0, dy, 0, dyAsKernel, dkc, 0, split, Conv.Path.AUTO);
        Movement.transpose(dkcShape3, dkc, 0, SWAP_OUTER, dk, 0, split);
        return dk;
    }

    /** @return dx alone (input-gradient conv: lhs dilation for strided layers) */
    @Benchmark
    public float[] inputGrad() {
        Conv.forward(wsx, dy, 0, k, 0, flipped, dx, 0, split, Conv.Path.AUTO);
        return dx;
    }

    /** @return dk alone (kernel-gradient conv with its transposes) */
    @Benchmark
    public float[] kernelGrad() {
        Movement.transpose(xShape3, x, 0, SWAP_FIRST_LAST, xt, 0, split);
        Conv.forward(wsk, xt, 0, dy, 0, dyAsKernel, dkc, 0, split, Conv.Path.AUTO);
        Movement.transpose(dkcShape3, dkc, 0, SWAP_OUTER, dk, 0, split);
        return dk;
    }
}
