package dev.adjoint.bench;

import dev.adjoint.cpu.StepProfile;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link ConvGraphTiming} forward+backward plans, step by step, in repeated windows on one
 * thread (thread CPU time): per window each layer's steps (fwd, dk, dx) as medians of {@code runs}
 * runs, and beside them an FMA-loop rate of the same window, so that a window in which the host
 * gave this vCPU half a core's pipes reads as such (the machine's 1-thread capacity changes by
 * itself, docs/perf/conv.md wave 8). Prints per-window lines and, at the end, per layer and step
 * the median over windows, its spread, and GFLOP per CPU-second.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.ConvStepWindows [windows [runs [layer,...]]]}
 */
public final class ConvStepWindows {
    private ConvStepWindows() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** 4096 steps of 12 independent FMA chains on the vectors in {@code st} (12 x lanes floats). */
    static void fmaBlock(float[] st) {
        int L = S.length();
        FloatVector m = FloatVector.broadcast(S, 0.9999999f), c = FloatVector.broadcast(S, 1e-7f);
        FloatVector a0 = FloatVector.fromArray(S, st, 0), a1 = FloatVector.fromArray(S, st, L), a2 = FloatVector.fromArray(S, st, 2 * L),
            a3 = FloatVector.fromArray(S, st, 3 * L), a4 = FloatVector.fromArray(S, st, 4 * L), a5 = FloatVector.fromArray(S, st, 5 * L),
            a6 = FloatVector.fromArray(S, st, 6 * L), a7 = FloatVector.fromArray(S, st, 7 * L), a8 = FloatVector.fromArray(S, st, 8 * L),
            a9 = FloatVector.fromArray(S, st, 9 * L), a10 = FloatVector.fromArray(S, st, 10 * L), a11 = FloatVector.fromArray(S, st, 11 * L);
        for (int k = 0; k < 4096; k++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c); a4 = a4.fma(m, c); a5 = a5.fma(m, c);
            a6 = a6.fma(m, c); a7 = a7.fma(m, c); a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
        }
        a0.intoArray(st, 0); a1.intoArray(st, L); a2.intoArray(st, 2 * L); a3.intoArray(st, 3 * L); a4.intoArray(st, 4 * L); a5.intoArray(st, 5 * L);
        a6.intoArray(st, 6 * L); a7.intoArray(st, 7 * L); a8.intoArray(st, 8 * L); a9.intoArray(st, 9 * L); a10.intoArray(st, 10 * L); a11.intoArray(st, 11 * L);
    }

    /** FMA-loop GFLOP per CPU-second over ~{@code millis} of CPU (12 independent chains, registers only). */
    static double fmaRate(long millis) {
        var mx = ManagementFactory.getThreadMXBean();
        float[] st = new float[12 * S.length()];
        java.util.Arrays.fill(st, 1f);
        long c0 = mx.getCurrentThreadCpuTime(), end = c0 + millis * 1_000_000L, blocks = 0, now;
        do {
            for (int i = 0; i < 16; i++) fmaBlock(st);
            blocks += 16;
        } while ((now = mx.getCurrentThreadCpuTime()) < end);
        return blocks * 4096 * 12.0 * 2 * S.length() / (now - c0);
    }

    static double flops(String name) {
        return switch (name.charAt(0)) {
            case 'A' -> 2.0 * 32 * 14 * 14 * 64 * 32 * 9;
            case 'B' -> 2.0 * 8 * 56 * 56 * 64 * 64 * 9;
            case 'C' -> 2.0 * 8 * 28 * 28 * 64 * 64 * 9;
            default -> 2.0 * 32 * 28 * 28 * 32 * 25;
        };
    }

    public static void main(String[] args) {
        int windows = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String[] layers = args.length > 2 ? args[2].split(",") : ConvGraphTiming.LAYERS;
        for (int i = 0; i < layers.length; i++)
            for (String l : ConvGraphTiming.LAYERS) if (l.startsWith(layers[i])) layers[i] = l;
        var mx = ManagementFactory.getThreadMXBean();
        List<ConvGraphTiming.Layer> built = new ArrayList<>();
        for (String l : layers) built.add(ConvGraphTiming.build(l, WorkSplitter.SERIAL));
        long warmEnd = mx.getCurrentThreadCpuTime() + Long.getLong("adjoint.warmup.ms", 4000) * 1_000_000L;
        while (mx.getCurrentThreadCpuTime() < warmEnd)
            for (ConvGraphTiming.Layer b : built) b.forwardBackward().run((Object[]) b.feedsFb());
        float[] st = new float[12 * S.length()];
        for (int i = 0; i < 20_000; i++) fmaBlock(st);
        fmaRate(200);
        // [layer][step][window]
        double[][][] t = new double[layers.length][3][windows];
        double[] fma = new double[windows];
        for (int w = 0; w < windows; w++) {
            fma[w] = fmaRate(100);
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "window %d fma %.0f GF/s |", w, fma[w]));
            for (int i = 0; i < layers.length; i++) {
                ConvGraphTiming.Layer b = built.get(i);
                StepProfile p = StepProfile.of(b.forwardBackward(), (Object[]) b.feedsFb(), runs, mx::getCurrentThreadCpuTime);
                List<StepProfile.Entry> e = p.entries();
                for (int s = 0; s < Math.min(3, e.size()); s++) t[i][s][w] = e.get(s).medianNanos() / 1e3;
                sb.append(String.format(Locale.ROOT, " %s %.0f/%.0f/%.0f", layers[i].charAt(0), t[i][0][w], t[i][1][w], e.size() > 2 ? t[i][2][w] : 0));
            }
            System.out.println(sb);
        }
        String[] names = {"fwd", "dk", "dx"};
        System.out.printf(Locale.ROOT, "fma median %.0f GF/s spread %.0f%%%n", median(fma), 100 * spread(fma));
        for (int i = 0; i < layers.length; i++)
            for (int s = 0; s < 3; s++) {
                if (t[i][s][0] == 0) continue;
                double m = median(t[i][s]);
                System.out.printf(Locale.ROOT, "%s %-3s %9.1f us  spread %3.0f%%  %6.1f GFLOP/cpu-s%n", layers[i], names[s], m, 100 * spread(t[i][s]), flops(layers[i]) / m / 1e3);
            }
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static double spread(double[] v) {
        return (Arrays.stream(v).max().orElse(0) - Arrays.stream(v).min().orElse(0)) / median(v);
    }
}
