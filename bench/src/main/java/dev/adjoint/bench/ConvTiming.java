package dev.adjoint.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Side-by-side timing of the {@link ConvBench} layers on a shared, noisy machine: per call, wall time
 * and CPU time (thread CPU time with one thread, process CPU time with two), medians and p10/p90,
 * in the format of bench/peers/torch_conv.py so that the two can be run back to back and compared.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.ConvTiming [reps]}.
 */
public final class ConvTiming {
    private ConvTiming() {}

    /**
     * Times every layer at 1 and 2 threads.
     *
     * @param args optional repetition count (default 30)
     */
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        var threadMx = ManagementFactory.getThreadMXBean();
        var osMx = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        String[] layers = {"A_n32_14_32_64_k3", "B_n8_56_64_64_k3", "C_n8_56_64_64_k3s2", "D_n32_28_1_32_k5"};
        for (int threads : new int[] {1, 2}) {
            for (String layer : layers) {
                ConvBench b = new ConvBench();
                b.layer = layer;
                b.threads = threads;
                b.setup();
                Supplier<Long> cpu = threads == 1 ? threadMx::getCurrentThreadCpuTime : osMx::getProcessCpuTime;
                double[] f = time(b::forward, reps, cpu);
                double[] fb = time(b::forwardBackward, reps, cpu);
                b.tearDown();
                System.out.printf("threads=%d %-22s fwd %8.3f ms (p10 %.3f p90 %.3f cpu %.3f)  fwd+bwd %8.3f ms (p10 %.3f p90 %.3f cpu %.3f)%n",
                        threads, layer, f[0], f[1], f[2], f[3], fb[0], fb[1], fb[2], fb[3]);
            }
        }
    }

    static double[] time(Runnable r, int reps, Supplier<Long> cpu) {
        long end = System.nanoTime() + 2_000_000_000L; // warm up: JIT the kernels
        while (System.nanoTime() < end) r.run();
        double[] w = new double[reps], c = new double[reps];
        for (int i = 0; i < reps; i++) {
            long c0 = cpu.get(), t0 = System.nanoTime();
            r.run();
            w[i] = (System.nanoTime() - t0) / 1e6;
            c[i] = (cpu.get() - c0) / 1e6;
        }
        Arrays.sort(w);
        Arrays.sort(c);
        return new double[] {w[reps / 2], w[reps / 10], w[reps * 9 / 10], c[reps / 2]};
    }
}
