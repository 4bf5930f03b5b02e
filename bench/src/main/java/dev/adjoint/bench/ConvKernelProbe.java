package dev.adjoint.bench;

import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvKernelGradientWide;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Probe (wave 8): the wide kernel gradient ({@link ConvKernelGradientWide}, layers A-D, 1 thread,
 * thread CPU time) alone, in windows; with a static boolean field named as the fourth argument
 * (class.field, e.g. a variant switch a kernel change carries while it is measured) the windows
 * alternate the field false / true, so the two variants are interleaved in one JVM. Prints per
 * layer and variant the median over windows of the per-window medians, the spread, GFLOP/cpu-s.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.ConvKernelProbe [windows [reps [layers [class.field]]]]}
 */
public final class ConvKernelProbe {
    private ConvKernelProbe() {}

    static ConvGeometry layer(char c) {
        return switch (c) {
            case 'A' -> ConvGeometry.simple(32, new int[] {14, 14}, 32, new int[] {3, 3}, 64, 1, 1, 1);
            case 'B' -> ConvGeometry.simple(8, new int[] {56, 56}, 64, new int[] {3, 3}, 64, 1, 1, 1);
            case 'C' -> ConvGeometry.simple(8, new int[] {56, 56}, 64, new int[] {3, 3}, 64, 2, 1, 1);
            case 'D' -> ConvGeometry.simple(32, new int[] {28, 28}, 1, new int[] {5, 5}, 32, 1, 2, 1);
            default -> throw new IllegalArgumentException("layer " + c);
        };
    }

    static float[] random(long n, SplittableRandom r) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-1, 1);
        return a;
    }

    public static void main(String[] args) throws Exception {
        int windows = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String layers = args.length > 2 ? args[2] : "ABCD";
        Field sw = null;
        String intValue = null;
        if (args.length > 3) {
            String spec = args[3];
            if (spec.contains("=")) { intValue = spec.substring(spec.indexOf('=') + 1); spec = spec.substring(0, spec.indexOf('=')); }
            int dot = spec.lastIndexOf('.');
            sw = Class.forName(spec.substring(0, dot)).getDeclaredField(spec.substring(dot + 1));
            sw.setAccessible(true);
        }
        int variants = sw == null ? 1 : 2;
        var mx = ManagementFactory.getThreadMXBean();
        SplittableRandom rnd = new SplittableRandom(3);
        int nl = layers.length();
        ConvKernelGradientWide[] kg = new ConvKernelGradientWide[nl], kg1 = new ConvKernelGradientWide[nl];
        float[][] x = new float[nl][], dy = new float[nl][], dk = new float[nl][];
        for (int i = 0; i < nl; i++) {
            ConvGeometry g = layer(layers.charAt(i));
            kg[i] = new ConvKernelGradientWide(g, true);
            kg1[i] = kg[i];
            x[i] = random(g.inputLength(), rnd); dy[i] = random(g.outputLength(), rnd); dk[i] = new float[(int) g.kernelLength()];
        }
        // An int field (class.field=value): variant 1 is the kernels built with the field set to value.
        if (intValue != null) {
            int old = sw.getInt(null);
            sw.setInt(null, Integer.parseInt(intValue));
            for (int i = 0; i < nl; i++) kg1[i] = new ConvKernelGradientWide(layer(layers.charAt(i)), true);
            sw.setInt(null, old);
            sw = null;
        }
        long warm = mx.getCurrentThreadCpuTime() + Long.getLong("adjoint.warmup.ms", 4000) * 1_000_000L;
        while (mx.getCurrentThreadCpuTime() < warm)
            for (int v = 0; v < variants; v++) {
                if (sw != null) sw.setBoolean(null, v == 1);
                for (int i = 0; i < nl; i++) (v == 1 ? kg1 : kg)[i].run(x[i], 0, dy[i], 0, dk[i], 0, WorkSplitter.SERIAL);
            }
        double[][][] t = new double[nl][variants][windows];
        float[][] first = new float[nl][];
        for (int w = 0; w < windows; w++)
            for (int vv = 0; vv < variants; vv++) {
                int v = (w & 1) == 0 ? vv : variants - 1 - vv; // alternate which variant goes first
                if (sw != null) sw.setBoolean(null, v == 1);
                for (int i = 0; i < nl; i++) {
                    double[] s = new double[reps];
                    for (int r = 0; r < reps; r++) {
                        long c0 = mx.getCurrentThreadCpuTime();
                        (v == 1 ? kg1 : kg)[i].run(x[i], 0, dy[i], 0, dk[i], 0, WorkSplitter.SERIAL);
                        s[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e3;
                    }
                    t[i][v][w] = ConvStepWindows.median(s);
                    if (first[i] == null) first[i] = dk[i].clone();
                    else if (!Arrays.equals(first[i], dk[i])) System.out.println("!! " + layers.charAt(i) + " variant " + v + " differs bitwise");
                }
            }
        for (int i = 0; i < nl; i++)
            for (int v = 0; v < variants; v++) {
                double m = ConvStepWindows.median(t[i][v]);
                ConvGeometry g = kg[i].geometry;
                System.out.printf(Locale.ROOT, "dk %c variant %d %9.1f us  spread %3.0f%%  %6.1f GFLOP/cpu-s  windows %s%n", layers.charAt(i), v, m,
                        100 * ConvStepWindows.spread(t[i][v]), g.flops() / m / 1e3, Arrays.toString(Arrays.stream(t[i][v]).mapToLong(Math::round).toArray()));
            }
    }
}
