package dev.adjoint.bench;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.kernels.WorkSplitter;
import dev.adjoint.train.Batch;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainStep;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The GEMM epilogue fusion measured A/B in one JVM, on one thread, in thread CPU time: the MLP
 * 784-512-512-10 forward pass and training step at batch 128, each compiled as is (bias and relu
 * folded into the GEMMs) and with every dot_general also made a plan output, which stops the
 * folding (a folded dot must have no other reader) and so gives the unfused schedule. Runs
 * alternate A, B, A, B; prints the medians of the rounds with their spread and the ratio.
 * Argument: rounds (default 15).
 */
public final class EpilogueTiming {
    private EpilogueTiming() {}

    static Object[] feeds(Plan plan) {
        SplittableRandom r = new SplittableRandom(1);
        Object[] f = new Object[plan.inputs().size()];
        for (int i = 0; i < f.length; i++) {
            int n = plan.inputs().get(i).shape().size();
            f[i] = switch (plan.inputs().get(i).dtype()) {
                case F32 -> { float[] a = new float[n]; for (int j = 0; j < n; j++) a[j] = (float) r.nextDouble(-0.05, 0.05); yield a; }
                case I32 -> { int[] a = new int[n]; for (int j = 0; j < n; j++) a[j] = r.nextInt(10); yield a; }
                default -> throw new IllegalStateException("unexpected input " + plan.inputs().get(i));
            };
        }
        return f;
    }

    static void compare(String title, TrainStep.Trace t, int rounds) {
        List<Tensor> plain = new ArrayList<>(t.outputs());
        for (Node n : t.graph().nodes()) if (n.op() instanceof DotGeneral) plain.add(t.graph().tensor(n.id()));
        CompileOptions o = CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL);
        Plan fused = Cpu.compile(t.outputs(), o), unfused = Cpu.compile(plain, o);
        Object[] ff = feeds(fused), fu = feeds(unfused);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int per = 20;
        for (int i = 0; i < 200; i++) { fused.run(ff); unfused.run(fu); }
        double[] a = new double[rounds], b = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < per; i++) fused.run(ff);
            long t1 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < per; i++) unfused.run(fu);
            long t2 = mx.getCurrentThreadCpuTime();
            a[r] = (t1 - t0) / 1e6 / per;
            b[r] = (t2 - t1) / 1e6 / per;
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = a[r] / b[r];
        Arrays.sort(a);
        Arrays.sort(b);
        Arrays.sort(ratio);
        System.out.printf(Locale.ROOT, "%s: fused %d steps %.3f ms [%.3f, %.3f]; unfused %d steps %.3f ms [%.3f, %.3f]; fused/unfused %.3f [%.3f, %.3f]%n",
                title, fused.stepCount(), a[rounds / 2], a[0], a[rounds - 1], unfused.stepCount(), b[rounds / 2], b[0], b[rounds - 1],
                ratio[rounds / 2], ratio[0], ratio[rounds - 1]);
    }

    /** Runs both comparisons. */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        TrainStep m = TrainStep.of(StepProfileTiming.mlp(), Sgd.of(0.01, 0.9), Nn::crossEntropy);
        Batch mb = new Batch(HostArray.f32(new float[128 * 784], 128, 784), HostArray.i32(new int[128], 128));
        compare("MLP 784-512-512-10 forward, batch 128", m.traceForward(mb.x()), rounds);
        compare("MLP 784-512-512-10 SGD step, batch 128", m.trace(mb), rounds);
    }
}
