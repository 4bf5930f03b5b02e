package dev.adjoint.bench;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.pass.Pipeline;
import dev.adjoint.train.Activation;
import dev.adjoint.train.Batch;
import dev.adjoint.train.BatchNorm;
import dev.adjoint.train.Conv;
import dev.adjoint.train.Flatten;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Layer;
import dev.adjoint.train.Layout;
import dev.adjoint.train.Linear;
import dev.adjoint.train.ParamSpec;
import dev.adjoint.train.Pool;
import dev.adjoint.train.Residual;
import dev.adjoint.train.Sequential;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainStep;
import dev.adjoint.train.Vars;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Issue 12: the ResNet-18 training step (torchvision's layout of stages and blocks, channels last,
 * batch norm in training mode, SGD momentum) under {@link CompileOptions#withMemoryBudget}: planned
 * peak and compile time of the default O2 plan and of three budgets (the last the best reachable,
 * found from the "ask for at least N B" error of an unreachable budget; the second halfway between
 * the first's peak and the best), then step times with the
 * default and budget plans interleaved run by run in this process (median [min, max], load average
 * beside every figure). Arguments: image size (default 64), batch (default 8), runs (default 15).
 */
public final class ResNetBudgetTiming {
    private ResNetBudgetTiming() {}

    /** A basic block whose shortcut is a 1x1 strided conv + batch norm (torchvision's downsample). */
    record Downsample(Layer main, Layer proj) implements Layer {
        @Override public List<ParamSpec> variables() {
            return Stream.concat(main.variables().stream().map(p -> p.prefixed("main")),
                    proj.variables().stream().map(p -> p.prefixed("proj"))).toList();
        }

        @Override public Tensor apply(Vars v, Tensor x) {
            return main.apply(v.child("main"), x).add(proj.apply(v.child("proj"), x)).relu();
        }
    }

    static Layer convBn(int in, int out, int k, int stride) {
        return Sequential.of(Conv.conv2d(in, out, k).stride(stride).padding(k / 2).nhwc(), BatchNorm.of(out).nhwc());
    }

    static Layer block(int in, int out, int stride) {
        Layer main = Sequential.of(convBn(in, out, 3, stride), Activation.RELU, convBn(out, out, 3, 1));
        return in == out && stride == 1 ? Sequential.of(new Residual(main), Activation.RELU) : new Downsample(main, convBn(in, out, 1, stride));
    }

    /** ResNet-18 for {@code size}x{@code size}x3 images and 10 classes (size a multiple of 32). */
    static Layer resnet18(int size) {
        List<Layer> l = new ArrayList<>(List.of(convBn(3, 64, 7, 2), Activation.RELU,
                new Pool(true, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, true, Layout.NHWC)));
        int in = 64;
        for (int out : new int[] {64, 128, 256, 512}) {
            l.add(block(in, out, out == 64 ? 1 : 2));
            l.add(block(out, out, 1));
            in = out;
        }
        l.add(Pool.avg2d(size / 32).nhwc());
        l.add(Flatten.of());
        l.add(Linear.of(512, 10));
        return new Sequential(l);
    }

    static double load() { return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(); }

    static Map<Tensor, Object> feeds(Plan plan) {
        SplittableRandom rnd = new SplittableRandom(1);
        Map<Tensor, Object> feeds = new LinkedHashMap<>();
        for (Tensor in : plan.inputs()) {
            int n = in.shape().size();
            feeds.put(in, switch (in.dtype()) {
                case F32 -> { float[] f = new float[n]; for (int j = 0; j < n; j++) f[j] = (float) rnd.nextDouble(-1, 1); yield f; }
                case I32 -> { int[] f = new int[n]; for (int j = 0; j < n; j++) f[j] = rnd.nextInt(10); yield f; }
                default -> throw new IllegalStateException("input " + in + ": " + in.dtype());
            });
        }
        return feeds;
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        TrainStep step = TrainStep.of(resnet18(size), Sgd.of(0.05, 0.9), Nn::crossEntropy);
        float[] x = new float[batch * size * size * 3];
        List<Tensor> outs = step.trace(new Batch(HostArray.f32(x, batch, size, size, 3), HostArray.i32(new int[batch], batch))).outputs();
        CompileOptions o = CompileOptions.defaults().withPipeline(Pipeline.O2);
        System.out.printf(Locale.ROOT, "ResNet-18 training step, %dx%dx3, batch %d, O2, %d outputs (load %.2f)%n", size, size, batch, outs.size(), load());

        long t0 = System.nanoTime();
        Plan base = Cpu.compile(outs, o);
        System.out.printf(Locale.ROOT, "default: planned peak %,d B, %d steps, compile %.2f s (load %.2f)%n",
                base.plannedPeakBytes(), base.stepCount(), (System.nanoTime() - t0) / 1e9, load());
        long best;
        t0 = System.nanoTime();
        try {
            Cpu.compile(outs, o.withMemoryBudget(1));
            throw new IllegalStateException("a 1-byte budget compiled");
        } catch (IllegalArgumentException e) {
            Matcher m = Pattern.compile("at least (\\d+) B").matcher(e.getMessage());
            if (!m.find()) throw e;
            best = Long.parseLong(m.group(1));
        }
        System.out.printf(Locale.ROOT, "best reachable: %,d B (%.1f%%), search %.2f s (load %.2f)%n", best,
                100.0 * (best - base.plannedPeakBytes()) / base.plannedPeakBytes(), (System.nanoTime() - t0) / 1e9, load());
        // The first budget (a third of the way down) typically lands on packing alone; the second halves what is left.
        long[] budgets = {best + 2 * (base.plannedPeakBytes() - best) / 3, 0, best};
        List<Plan> plans = new ArrayList<>(List.of(base));
        for (int k = 0; k < budgets.length; k++) {
            if (k == 1) budgets[1] = best + (plans.get(1).plannedPeakBytes() - best) / 2;
            long b = budgets[k];
            t0 = System.nanoTime();
            Plan p = Cpu.compile(outs, o.withMemoryBudget(b));
            System.out.printf(Locale.ROOT, "budget %,d: planned peak %,d B (%.1f%%), %d steps, %d recomputed, compile %.2f s (load %.2f)%n", b,
                    p.plannedPeakBytes(), 100.0 * (p.plannedPeakBytes() - base.plannedPeakBytes()) / base.plannedPeakBytes(), p.stepCount(),
                    p.recomputed().size(), (System.nanoTime() - t0) / 1e9, load());
            plans.add(p);
        }
        System.out.print("best budget's memory report: " + plans.get(plans.size() - 1).memoryReport());
        List<Map<Tensor, Object>> feeds = plans.stream().map(ResNetBudgetTiming::feeds).toList();
        for (int w = 0; w < 3; w++) for (int i = 0; i < plans.size(); i++) plans.get(i).run(feeds.get(i));
        double[][] ms = new double[plans.size()][runs];
        double load0 = load();
        for (int r = 0; r < runs; r++) {
            for (int i = 0; i < plans.size(); i++) {
                long s = System.nanoTime();
                plans.get(i).run(feeds.get(i));
                ms[i][r] = (System.nanoTime() - s) / 1e6;
            }
        }
        double load1 = load();
        System.out.printf(Locale.ROOT, "step time, %d interleaved runs each (load %.2f -> %.2f):%n", runs, load0, load1);
        for (int i = 0; i < plans.size(); i++) {
            double[] t = ms[i].clone();
            Arrays.sort(t);
            System.out.printf(Locale.ROOT, "  %-22s peak %,12d B  %8.2f ms [%.2f, %.2f]  (%+.1f%% vs default median)%n",
                    i == 0 ? "default" : "budget " + budgets[i - 1], plans.get(i).plannedPeakBytes(), t[runs / 2], t[0], t[runs - 1],
                    100.0 * (t[runs / 2] / median(ms[0]) - 1));
        }
    }

    static double median(double[] a) {
        double[] t = a.clone();
        Arrays.sort(t);
        return t[t.length / 2];
    }
}
