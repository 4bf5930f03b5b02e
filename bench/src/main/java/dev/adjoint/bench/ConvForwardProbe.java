package dev.adjoint.bench;

import dev.adjoint.kernels.Conv;
import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Probe (wave 8): the forward conv of layers A-D alone ({@link Conv#forward}, 1 thread, thread CPU
 * time) in windows; with a static boolean field named as the fourth argument (class.field, a
 * variant switch a kernel change carries while it is measured) the windows alternate the field
 * false / true, so both variants run interleaved in one JVM, and the outputs of the two are
 * compared bitwise. Prints per layer and variant the median over windows of the per-window
 * medians, the spread ((max - min) / median of the window medians) and GFLOP/cpu-s.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... dev.adjoint.bench.ConvForwardProbe [windows [reps [layers [class.field]]]]}
 */
public final class ConvForwardProbe {
    private ConvForwardProbe() {}

    public static void main(String[] args) throws Exception {
        int windows = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String layers = args.length > 2 ? args[2] : "ABCD";
        Field sw = null;
        if (args.length > 3) {
            int dot = args[3].lastIndexOf('.');
            sw = Class.forName(args[3].substring(0, dot)).getDeclaredField(args[3].substring(dot + 1));
            sw.setAccessible(true);
        }
        int variants = sw == null ? 1 : 2, nl = layers.length();
        var mx = ManagementFactory.getThreadMXBean();
        SplittableRandom rnd = new SplittableRandom(3);
        ConvWorkspace[] ws = new ConvWorkspace[nl];
        float[][] x = new float[nl][], k = new float[nl][], y = new float[nl][];
        double[] flops = new double[nl];
        for (int i = 0; i < nl; i++) {
            ConvGeometry g = ConvKernelProbe.layer(layers.charAt(i));
            ws[i] = new ConvWorkspace(g, 1);
            x[i] = ConvKernelProbe.random(g.inputLength(), rnd); k[i] = ConvKernelProbe.random(g.kernelLength(), rnd);
            y[i] = new float[(int) g.outputLength()];
            flops[i] = g.flops();
        }
        long warm = mx.getCurrentThreadCpuTime() + Long.getLong("adjoint.warmup.ms", 5000) * 1_000_000L;
        while (mx.getCurrentThreadCpuTime() < warm)
            for (int v = 0; v < variants; v++) {
                if (sw != null) sw.setBoolean(null, v == 1);
                for (int i = 0; i < nl; i++) Conv.forward(ws[i], x[i], 0, k[i], 0, y[i], 0, WorkSplitter.SERIAL);
            }
        double[][][] t = new double[nl][variants][windows];
        float[][][] out = new float[nl][variants][];
        double[] r = new double[reps];
        for (int wi = 0; wi < windows; wi++)
            for (int v0 = 0; v0 < variants; v0++) {
                int v = (v0 + wi) % variants; // alternate which variant goes first
                if (sw != null) sw.setBoolean(null, v == 1);
                for (int i = 0; i < nl; i++) {
                    for (int rep = 0; rep < reps; rep++) {
                        long c0 = mx.getCurrentThreadCpuTime();
                        Conv.forward(ws[i], x[i], 0, k[i], 0, y[i], 0, WorkSplitter.SERIAL);
                        r[rep] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
                    }
                    Arrays.sort(r);
                    t[i][v][wi] = r[reps / 2];
                    if (out[i][v] == null) out[i][v] = y[i].clone();
                }
            }
        for (int i = 0; i < nl; i++) {
            StringBuilder sb = new StringBuilder().append(layers.charAt(i)).append(" fwd");
            for (int v = 0; v < variants; v++) {
                double[] s = t[i][v].clone();
                Arrays.sort(s);
                double med = s[windows / 2];
                sb.append(String.format(Locale.ROOT, "  %s %.3f ms ±%.0f%% %.1f GFLOP/cpu-s", variants == 1 ? "" : v == 1 ? "on" : "off",
                        med, 100 * (s[windows - 1] - s[0]) / med, flops[i] / med / 1e6));
            }
            if (variants == 2) {
                sb.append(String.format(Locale.ROOT, "  on/off per window:"));
                for (int wi = 0; wi < windows; wi++) sb.append(String.format(Locale.ROOT, " %.2f", t[i][1][wi] / t[i][0][wi]));
                sb.append(Arrays.equals(out[i][0], out[i][1]) ? "  bitwise equal" : "  OUTPUTS DIFFER");
            }
            System.out.println(sb);
        }
    }
}
