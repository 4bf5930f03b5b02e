package dev.adjoint.bench;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.cpu.StepProfile;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The {@link ConvBench} layers through the executor, as training runs them: a graph
 * {@code y = conv(x, k)}, the gradients of {@code sum(y * dy)} by {@link Autodiff#grad} (dx and dk;
 * no dx for the first layer D, as in the PyTorch peer), compiled by {@link Cpu#compile} and run as a
 * plan. Forward is a plan with output y alone; forward+backward one with outputs y, dx, dk.
 * Same output format as {@link ConvTiming} and bench/peers/torch_conv.py (CPU time: thread CPU time
 * on 1 thread, process CPU time on 2).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.ConvGraphTiming [reps [threads [layer,...]]]};
 * {@code describe} as the first argument prints the compiled plans instead; {@code profile [runs [layers]]} the
 * forward+backward plans' steps (thread CPU time, 1 thread).
 */
public final class ConvGraphTiming {
    private ConvGraphTiming() {}

    /** Layer names, as in ConvBench and torch_conv.py. */
    static final String[] LAYERS = {"A_n32_14_32_64_k3", "B_n8_56_64_64_k3", "C_n8_56_64_64_k3s2", "D_n32_28_1_32_k5"};

    /** One layer's two plans and their feeds. */
    public record Layer(Plan forward, Plan forwardBackward, float[][] feedsF, float[][] feedsFb) {}

    /**
     * Builds and compiles one layer.
     *
     * @param name    layer name
     * @param split   the plans' splitter
     * @return the plans
     */
    public static Layer build(String name, WorkSplitter split) {
        int n, h, cin, cout, kk, s = 1, p;
        switch (name) {
            case "A_n32_14_32_64_k3" -> { n = 32; h = 14; cin = 32; cout = 64; kk = 3; p = 1; }
            case "B_n8_56_64_64_k3" -> { n = 8; h = 56; cin = 64; cout = 64; kk = 3; p = 1; }
            case "C_n8_56_64_64_k3s2" -> { n = 8; h = 56; cin = 64; cout = 64; kk = 3; p = 1; s = 2; }
            case "D_n32_28_1_32_k5" -> { n = 32; h = 28; cin = 1; cout = 32; kk = 5; p = 2; }
            default -> throw new IllegalArgumentException("unknown layer " + name + "; known: " + Arrays.toString(LAYERS));
        }
        boolean needDx = !name.startsWith("D");
        CompileOptions opts = CompileOptions.defaults().withSplitter(split);
        Graph gf = new Graph();
        Tensor xf = gf.input("x", n, h, h, cin), kf = gf.input("k", kk, kk, cin, cout);
        Plan fwd = Cpu.compile(List.of(Nn.conv(xf, kf, new int[] {s, s}, new int[] {p, p})), opts);
        Graph g = new Graph();
        Tensor x = g.input("x", n, h, h, cin), k = g.input("k", kk, kk, cin, cout);
        Tensor y = Nn.conv(x, k, new int[] {s, s}, new int[] {p, p});
        Tensor dy = g.input("dy", y.shape().dims());
        Tensor loss = y.mul(dy).sum();
        List<Tensor> outs = new ArrayList<>(List.of(y));
        outs.addAll(Autodiff.grad(loss, needDx ? List.of(x, k) : List.of(k)));
        Plan fb = Cpu.compile(outs, opts);
        return new Layer(fwd, fb, feeds(fwd), feeds(fb));
    }

    private static float[][] feeds(Plan plan) {
        SplittableRandom rnd = new SplittableRandom(1);
        float[][] f = new float[plan.inputs().size()][];
        for (int i = 0; i < f.length; i++) {
            f[i] = new float[plan.inputs().get(i).shape().size()];
            for (int j = 0; j < f[i].length; j++) f[i][j] = (float) rnd.nextDouble(-1, 1);
        }
        return f;
    }

    /**
     * The forward+backward plan of each layer, step by step ({@link StepProfile}, thread CPU time,
     * 1 thread): where the backward's time goes, beside torch_conv_split.py's dx / dk split.
     */
    static void profile(int runs, String[] layers) {
        var mx = ManagementFactory.getThreadMXBean();
        for (String name : layers) {
            Layer b = build(name, WorkSplitter.SERIAL);
            Object[] feeds = b.feedsFb();
            // Warm up by this thread's CPU time, not the wall clock: at load 10 two wall seconds
            // are a fraction of a CPU second, and the kernels were still being compiled.
            long end = mx.getCurrentThreadCpuTime() + Long.getLong("adjoint.warmup.ms", 3000) * 1_000_000L;
            while (mx.getCurrentThreadCpuTime() < end) b.forwardBackward().run(feeds);
            StepProfile p = StepProfile.of(b.forwardBackward(), feeds, runs, mx::getCurrentThreadCpuTime);
            System.out.println("== " + name + " forward+backward, 1 thread, thread CPU, median of " + runs);
            for (StepProfile.Entry e : p.entries())
                System.out.printf(java.util.Locale.ROOT, "  step %d %-40s %-60s %9.1f us%n", e.step(), e.node(), e.kernel(), e.medianNanos() / 1e3);
            System.out.printf(java.util.Locale.ROOT, "  total %.1f us%n", p.totalNanos() / 1e3);
        }
    }

    /**
     * {@link ConvTiming#time} after a warm-up of 2 s of this thread's CPU time (at least 2 s wall):
     * at load 10 two wall seconds are a fraction of a CPU second and the kernels were still compiling.
     */
    static double[] time(Runnable r, int reps, Supplier<Long> cpu) {
        var mx = ManagementFactory.getThreadMXBean();
        long end = mx.getCurrentThreadCpuTime() + 2_000_000_000L;
        while (mx.getCurrentThreadCpuTime() < end) r.run();
        return ConvTiming.time(r, reps, cpu);
    }

    /**
     * Times the layers.
     *
     * @param args optional reps (default 30), threads (default "1,2"), layers (default all); or "describe"
     */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("describe")) {
            for (String l : LAYERS) {
                Layer b = build(l, WorkSplitter.SERIAL);
                System.out.println("== " + l + " forward\n" + b.forward().describe() + "== " + l + " forward+backward\n" + b.forwardBackward().describe());
            }
            return;
        }
        if (args.length > 0 && args[0].equals("profile")) {
            profile(args.length > 1 ? Integer.parseInt(args[1]) : 30, args.length > 2 ? args[2].split(",") : LAYERS);
            return;
        }
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int[] threadCounts = Arrays.stream((args.length > 1 ? args[1] : "1,2").split(",")).mapToInt(Integer::parseInt).toArray();
        String[] layers = args.length > 2 ? args[2].split(",") : LAYERS;
        var threadMx = ManagementFactory.getThreadMXBean();
        var osMx = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int threads : threadCounts) {
            try (ThreadPool pool = threads > 1 ? new ThreadPool(threads) : null) {
                WorkSplitter split = pool != null ? pool : WorkSplitter.SERIAL;
                for (String name : layers) {
                    Layer b = build(name, split);
                    Supplier<Long> cpu = threads == 1 ? threadMx::getCurrentThreadCpuTime : osMx::getProcessCpuTime;
                    double[] f = time(() -> b.forward().run(b.feedsF()), reps, cpu);
                    double[] fb = time(() -> b.forwardBackward().run(b.feedsFb()), reps, cpu);
                    System.out.printf("graph threads=%d %-22s fwd %8.3f ms (p10 %.3f p90 %.3f cpu %.3f)  fwd+bwd %8.3f ms (p10 %.3f p90 %.3f cpu %.3f)%n",
                            threads, name, f[0], f[1], f[2], f[3], fb[0], fb[1], fb[2], fb[3]);
                }
            }
        }
    }
}
