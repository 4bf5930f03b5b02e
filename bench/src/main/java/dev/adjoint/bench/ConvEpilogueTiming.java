package dev.adjoint.bench;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * conv + bias + activation through the executor, fused (one conv step with its epilogue) against
 * unfused (the same graph with the conv also an output, so that the bias add and clamp stay a fused
 * elementwise step of their own), in one JVM, interleaved call by call; thread CPU time medians, 1 thread.
 * Shapes: MobileNet-v2's pointwise 24->144 and depthwise 144 (16x16, batch 1) with ReLU6, and
 * layers A and B with bias + ReLU.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.ConvEpilogueTiming [reps]}.
 */
public final class ConvEpilogueTiming {
    private ConvEpilogueTiming() {}

    /**
     * Times each case.
     *
     * @param args repetitions (default 200)
     */
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        var mx = ManagementFactory.getThreadMXBean();
        // name, N, H, Cin, Cout, k, pad, groups, relu6
        Object[][] cases = {{"mbv2 pw 24->144 16x16 relu6", 1, 16, 24, 144, 1, 0, 1, true}, {"mbv2 dw 144 16x16 k3 relu6", 1, 16, 144, 144, 3, 1, 144, true},
                {"A 32x14x14 32->64 k3 relu", 32, 14, 32, 64, 3, 1, 1, false}, {"B 8x56x56 64->64 k3 relu", 8, 56, 64, 64, 3, 1, 1, false}};
        for (Object[] c : cases) {
            int n = (int) c[1], h = (int) c[2], cin = (int) c[3], cout = (int) c[4], k = (int) c[5], pad = (int) c[6], groups = (int) c[7];
            boolean relu6 = (boolean) c[8];
            Plan[] plans = new Plan[2];
            Object[][] feeds = new Object[2][];
            for (int v = 0; v < 2; v++) {
                Graph g = new Graph();
                Tensor x = g.input("x", n, h, h, cin), w = g.input("w", k, k, cin / groups, cout), b = g.input("b", cout);
                Tensor y = Nn.conv(x, w, new int[] {1, 1}, new int[] {pad, pad}, new int[] {pad, pad}, new int[] {1, 1}, new int[] {1, 1}, groups);
                Tensor a = y.add(b.broadcastInDim(y.shape(), 3)).max(0.0);
                if (relu6) a = a.min(6.0);
                plans[v] = Cpu.compile(v == 0 ? List.of(a) : List.of(a, y), CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL));
                SplittableRandom r = new SplittableRandom(1);
                feeds[v] = new Object[plans[v].inputs().size()];
                for (int i = 0; i < feeds[v].length; i++) {
                    float[] f = new float[plans[v].inputs().get(i).shape().size()];
                    for (int j = 0; j < f.length; j++) f[j] = (float) (r.nextDouble() * 2 - 1);
                    feeds[v][i] = f;
                }
            }
            long end = System.nanoTime() + 4_000_000_000L;
            while (System.nanoTime() < end) { plans[0].run(feeds[0]); plans[1].run(feeds[1]); }
            double[][] t = new double[2][reps];
            for (int i = 0; i < reps; i++)
                for (int v = 0; v < 2; v++) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    plans[v].run(feeds[v]);
                    t[v][i] = (mx.getCurrentThreadCpuTime() - c0) / 1e3;
                }
            for (double[] a : t) Arrays.sort(a);
            System.out.printf("%-30s fused %9.1f us (%d steps)  unfused %9.1f us (%d steps)  unfused/fused %.3f  [p10 %.1f / %.1f]%n", c[0],
                    t[0][reps / 2], plans[0].stepCount(), t[1][reps / 2], plans[1].stepCount(), t[1][reps / 2] / t[0][reps / 2], t[0][reps / 10], t[1][reps / 10]);
        }
    }
}
