package dev.adjoint.bench;

import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.cpu.StepProfile;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import dev.adjoint.train.Activation;
import dev.adjoint.train.Batch;
import dev.adjoint.train.Conv;
import dev.adjoint.train.Flatten;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Layer;
import dev.adjoint.train.Linear;
import dev.adjoint.train.Pool;
import dev.adjoint.train.Sequential;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainStep;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Where the training steps of {@link TrainStepTiming}'s models (MLP 784-512-512-10 at batch 128,
 * LeNet-5 NHWC at batch 64; SGD momentum) and the MLP's forward pass spend their time, step by
 * step: {@link StepProfile} over the plan of each traced graph, as markdown tables (per kernel
 * family, then the slowest steps). Arguments: threads (default 1), runs (default 200).
 */
public final class StepProfileTiming {
    private StepProfileTiming() {}

    static Layer mlp() {
        return Sequential.of(Linear.of(784, 512), Activation.RELU, Linear.of(512, 512), Activation.RELU, Linear.of(512, 10));
    }

    static Layer lenet() {
        return Sequential.of(Conv.conv2d(1, 6, 5).padding(2).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(),
                Conv.conv2d(6, 16, 5).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(), Flatten.of(),
                Linear.of(400, 120), Activation.RELU, Linear.of(120, 84), Activation.RELU, Linear.of(84, 10));
    }

    static String profile(String title, TrainStep.Trace t, WorkSplitter s, int runs) {
        Plan plan = Cpu.compile(t.outputs(), CompileOptions.defaults().withSplitter(s));
        SplittableRandom r = new SplittableRandom(1);
        List<Tensor> in = plan.inputs();
        Object[] feeds = new Object[in.size()];
        for (int i = 0; i < feeds.length; i++) {
            int n = in.get(i).shape().size();
            feeds[i] = switch (in.get(i).dtype()) {
                case F32 -> { float[] f = new float[n]; for (int j = 0; j < n; j++) f[j] = (float) r.nextDouble(-0.05, 0.05); yield f; }
                case I32 -> { int[] f = new int[n]; for (int j = 0; j < n; j++) f[j] = r.nextInt(10); yield f; }
                default -> throw new IllegalStateException("unexpected input type " + in.get(i));
            };
        }
        // One thread: thread CPU time (time-slicing does not inflate it); more: the wall clock.
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier clock = s.threads() == 1 ? mx::getCurrentThreadCpuTime : System::nanoTime;
        StepProfile.of(plan, feeds, runs, clock); // warm-up
        StepProfile p = StepProfile.of(plan, feeds, runs, clock);
        return "### " + title + " (" + plan.stepCount() + " steps, " + s.threads() + " thread(s), "
                + (s.threads() == 1 ? "thread CPU time" : "wall time") + ", median of " + runs + " runs)\n\n" + p.report(Integer.getInteger("adjoint.profile.top", 12));
    }

    /** Prints the profiles. */
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        ThreadPool pool = threads > 1 ? new ThreadPool(threads) : null;
        WorkSplitter s = pool == null ? WorkSplitter.SERIAL : pool;
        try {
            TrainStep m = TrainStep.of(mlp(), Sgd.of(0.01, 0.9), Nn::crossEntropy);
            TrainStep l = TrainStep.of(lenet(), Sgd.of(0.01, 0.9), Nn::crossEntropy);
            Batch mb = new Batch(HostArray.f32(new float[128 * 784], 128, 784), HostArray.i32(new int[128], 128));
            Batch lb = new Batch(HostArray.f32(new float[64 * 784], 64, 28, 28, 1), HostArray.i32(new int[64], 64));
            System.out.println(profile("MLP 784-512-512-10 training step, batch 128", m.trace(mb), s, runs));
            System.out.println(profile("MLP 784-512-512-10 forward, batch 128", m.traceForward(mb.x()), s, runs));
            System.out.println(profile("LeNet-5 training step, batch 64", l.trace(lb), s, runs));
            System.out.printf(Locale.ROOT, "%n");
        } finally {
            if (pool != null) pool.close();
        }
    }
}
