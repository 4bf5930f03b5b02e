package dev.adjoint.bench;

import dev.adjoint.graph.Nn;
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
import dev.adjoint.train.TrainState;
import dev.adjoint.train.TrainStep;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times one training step of the benchmark models through {@code dev.adjoint.train}
 * (donating step): MLP 784-512-512-10 at batch 128 and LeNet-5 (NHWC) at batch 64, SGD momentum.
 * Prints the median, min and max over repetitions of 20 steps each, in milliseconds per step;
 * {@code bench/peers/torch_train_step.py} is the PyTorch peer.
 */
public final class TrainStepTiming {
    private TrainStepTiming() {}

    /**
     * Median, min and max ms per step over {@code reps} repetitions of 20 steps: wall time on the
     * default pool, or ({@code cpu}) thread CPU time on the serial splitter, which time-slicing on a
     * shared machine does not inflate.
     */
    static double[] time(Layer model, int[] dims, int reps, boolean cpu) {
        TrainStep step = TrainStep.of(model, Sgd.of(0.01, 0.9), Nn::crossEntropy).withDonation();
        if (cpu) step = step.with(8, dev.adjoint.cpu.CompileOptions.defaults().withSplitter(dev.adjoint.kernels.WorkSplitter.SERIAL));
        java.util.function.LongSupplier clock = cpu ? java.lang.management.ManagementFactory.getThreadMXBean()::getCurrentThreadCpuTime : System::nanoTime;
        TrainState s = step.init(0);
        SplittableRandom r = new SplittableRandom(1);
        int n = dims[0], size = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        float[] x = new float[size];
        int[] y = new int[n];
        for (int i = 0; i < size; i++) x[i] = (float) r.nextDouble();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
        Batch b = new Batch(HostArray.f32(x, dims), HostArray.i32(y, n));
        for (int i = 0; i < 40; i++) s = step.run(s, b).state();
        double[] ms = new double[reps];
        for (int k = 0; k < reps; k++) {
            long t0 = clock.getAsLong();
            for (int i = 0; i < 20; i++) s = step.run(s, b).state();
            ms[k] = (clock.getAsLong() - t0) / 20 / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[reps / 2], ms[0], ms[reps - 1]};
    }

    /**
     * Where a step's time goes: compiles the MLP 784-512-512-10 batch-128 SGD step as
     * {@link TrainStepTiming#time} does, warms it, then prints each step of the plan with its thread
     * CPU time per run (one thread: pass {@code -Dadjoint.threads=1} or see {@code threads}), and the
     * totals by kernel family.
     */
    static void profile(int threads, int runs) {
        dev.adjoint.kernels.WorkSplitter sp = threads == 1 ? dev.adjoint.kernels.WorkSplitter.SERIAL : new dev.adjoint.kernels.ThreadPool(threads);
        Object[] planAndFeeds = mlpPlan(sp);
        dev.adjoint.cpu.Plan p = (dev.adjoint.cpu.Plan) planAndFeeds[0];
        Object[] feeds = (Object[]) planAndFeeds[1];
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 300; i++) p.run(feeds);
        long c0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < runs; i++) p.run(feeds);
        double whole = (mx.getCurrentThreadCpuTime() - c0) / 1e3 / runs;
        long[] cpu = p.profile(feeds, runs, mx::getCurrentThreadCpuTime);
        java.util.Map<String, Double> byKind = new java.util.TreeMap<>();
        double sum = 0;
        for (int s = 0; s < cpu.length; s++) {
            double us = cpu[s] / 1e3 / runs;
            sum += us;
            String k = p.stepKernel(s);
            String kind = k.startsWith("gemm") || k.startsWith("dot") ? "gemm" : k.split("[ (]")[0];
            byKind.merge(kind, us, Double::sum);
            System.out.printf(Locale.ROOT, "%3d %8.1f us  %-40s %s%n", s, us, k, p.stepOp(s));
        }
        System.out.printf(Locale.ROOT, "steps: %d, sum %.1f us, whole run %.1f us (thread CPU, %d thread(s), %d runs)%n",
                cpu.length, sum, whole, threads, runs);
        byKind.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-24s %8.1f us%n", k, v));
    }

    /** The MLP 784-512-512-10 batch-128 SGD-momentum step's plan on {@code sp}, with random feeds (index 0 of the result is the plan). */
    static Object[] mlpPlan(dev.adjoint.kernels.WorkSplitter sp) {
        return mlpPlan(sp, dev.adjoint.graph.pass.Pipeline.DEFAULT);
    }

    /** As {@link #mlpPlan(dev.adjoint.kernels.WorkSplitter)}, optimized by {@code pipeline}. */
    static Object[] mlpPlan(dev.adjoint.kernels.WorkSplitter sp, dev.adjoint.graph.pass.Pipeline pipeline) {
        Layer mlp = Sequential.of(Linear.of(784, 512), Activation.RELU, Linear.of(512, 512), Activation.RELU, Linear.of(512, 10));
        TrainStep step = TrainStep.of(mlp, Sgd.of(0.01, 0.9), Nn::crossEntropy);
        int n = 128;
        TrainStep.Trace t = step.trace(new Batch(HostArray.f32(new float[n * 784], n, 784), HostArray.i32(new int[n], n)));
        dev.adjoint.cpu.Plan p = dev.adjoint.cpu.Cpu.compile(t.outputs(), dev.adjoint.cpu.CompileOptions.defaults().withSplitter(sp).withPipeline(pipeline));
        SplittableRandom r = new SplittableRandom(1);
        Object[] feeds = new Object[p.inputs().size()];
        for (int i = 0; i < feeds.length; i++) {
            var in = p.inputs().get(i);
            int size = in.shape().size();
            if (in.dtype() == dev.adjoint.graph.DType.I32) {
                int[] v = new int[size];
                for (int j = 0; j < size; j++) v[j] = r.nextInt(10);
                feeds[i] = v;
            } else {
                float[] v = new float[size];
                for (int j = 0; j < size; j++) v[j] = (float) r.nextDouble(-0.05, 0.05);
                feeds[i] = v;
            }
        }
        return new Object[] {p, feeds};
    }

    /**
     * 2-thread scaling of the MLP step: the same plan compiled on the serial splitter, on a 2-thread
     * pool with every step alone and split ({@code -Dadjoint.parallelSteps=false}, the schedule
     * before independent steps ran in parallel), and on the pool with the step schedule, run in
     * interleaved rounds of 20 steps (wall time: on a loaded machine read the spread and the load
     * average printed beside it). Prints the medians and ranges and the per-round ratios.
     */
    static void scaling(int rounds) {
        dev.adjoint.kernels.ThreadPool pool = new dev.adjoint.kernels.ThreadPool(2);
        try {
            Object[] one = mlpPlan(dev.adjoint.kernels.WorkSplitter.SERIAL);
            System.setProperty("adjoint.parallelSteps", "false");
            Object[] split = mlpPlan(pool);
            System.clearProperty("adjoint.parallelSteps");
            Object[] staged = mlpPlan(pool);
            dev.adjoint.cpu.Plan[] p = {(dev.adjoint.cpu.Plan) one[0], (dev.adjoint.cpu.Plan) split[0], (dev.adjoint.cpu.Plan) staged[0]};
            Object[][] f = {(Object[]) one[1], (Object[]) split[1], (Object[]) staged[1]};
            for (int i = 0; i < 3000; i++) for (int v = 0; v < 3; v++) p[v].run(f[v]);
            double[][] t = new double[3][rounds];
            double[] r1 = new double[rounds], r2 = new double[rounds], r3 = new double[rounds];
            for (int k = 0; k < rounds; k++) {
                for (int v = 0; v < 3; v++) {
                    int w = (v + k) % 3; // rotate which variant goes first
                    long a = System.nanoTime();
                    for (int i = 0; i < 20; i++) p[w].run(f[w]);
                    t[w][k] = (System.nanoTime() - a) / 20 / 1e6;
                }
                r1[k] = t[0][k] / t[1][k];
                r2[k] = t[0][k] / t[2][k];
                r3[k] = t[1][k] / t[2][k];
            }
            for (double[] x : t) Arrays.sort(x);
            Arrays.sort(r1);
            Arrays.sort(r2);
            Arrays.sort(r3);
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            int m = rounds / 2, e = rounds - 1;
            System.out.printf(Locale.ROOT, "MLP 784-512-512-10 batch-128 SGD step, wall ms, %d rounds of 20, load %.2f:%n", rounds, load);
            System.out.printf(Locale.ROOT, "  1 thread %.3f [%.3f, %.3f]; 2 threads steps split %.3f [%.3f, %.3f]; 2 threads scheduled %.3f [%.3f, %.3f]%n",
                    t[0][m], t[0][0], t[0][e], t[1][m], t[1][0], t[1][e], t[2][m], t[2][0], t[2][e]);
            System.out.printf(Locale.ROOT, "  ratios per round, median [min, max]: 1t/split %.2f [%.2f, %.2f]; 1t/scheduled %.2f [%.2f, %.2f];"
                    + " split/scheduled %.3f [%.3f, %.3f]; ratio of the best rounds 1t/scheduled %.2f%n",
                    r1[m], r1[0], r1[e], r2[m], r2[0], r2[e], r3[m], r3[0], r3[e], t[0][0] / t[2][0]);
        } finally {
            pool.close();
        }
    }

    /**
     * Wave 5 A/B on the MLP step, interleaved rounds of 20 steps: "before" = without the
     * activation-masks pass and with buffers planned in plan order ({@code -Dadjoint.stagedPlanning=false}
     * at compile), "after" = the default; each on 1 thread (thread CPU time) and on a 2-thread pool
     * (wall time). Prints medians [min, max] and per-round ratios before/after, and 1t/2t of each.
     */
    static void ab(int rounds) {
        dev.adjoint.kernels.ThreadPool pool = new dev.adjoint.kernels.ThreadPool(2);
        try {
            var before = dev.adjoint.graph.pass.Pipeline.DEFAULT.without("activation-masks");
            System.setProperty("adjoint.stagedPlanning", "false");
            Object[] b1 = mlpPlan(dev.adjoint.kernels.WorkSplitter.SERIAL, before), b2 = mlpPlan(pool, before);
            System.clearProperty("adjoint.stagedPlanning");
            Object[] a1 = mlpPlan(dev.adjoint.kernels.WorkSplitter.SERIAL), a2 = mlpPlan(pool);
            Object[][] v = {b1, a1, b2, a2};
            String[] name = {"1t before", "1t after", "2t before", "2t after"};
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 2000; i++) for (Object[] x : v) ((dev.adjoint.cpu.Plan) x[0]).run((Object[]) x[1]);
            double[][] t = new double[4][rounds];
            for (int k = 0; k < rounds; k++) {
                for (int j = 0; j < 4; j++) {
                    int w = (j + k) % 4;
                    dev.adjoint.cpu.Plan p = (dev.adjoint.cpu.Plan) v[w][0];
                    Object[] f = (Object[]) v[w][1];
                    boolean cpu = w < 2;
                    long a = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
                    for (int i = 0; i < 20; i++) p.run(f);
                    t[w][k] = ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - a) / 20 / 1e6;
                }
            }
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            System.out.printf(Locale.ROOT, "MLP 784-512-512-10 step A/B, %d rounds of 20, load %.2f (1t: thread CPU ms; 2t: wall ms)%n", rounds, load);
            double[][] ratio = new double[4][rounds];
            for (int k = 0; k < rounds; k++) {
                ratio[0][k] = t[0][k] / t[1][k];
                ratio[1][k] = t[2][k] / t[3][k];
                ratio[2][k] = t[0][k] / t[2][k];
                ratio[3][k] = t[1][k] / t[3][k];
            }
            int m = rounds / 2, e = rounds - 1;
            for (int w = 0; w < 4; w++) {
                double[] x = t[w].clone();
                Arrays.sort(x);
                System.out.printf(Locale.ROOT, "  %-10s %.3f [%.3f, %.3f]%n", name[w], x[m], x[0], x[e]);
            }
            String[] rn = {"1t before/after", "2t before/after", "before 1t/2t", "after 1t/2t"};
            for (int w = 0; w < 4; w++) {
                double[] x = ratio[w];
                Arrays.sort(x);
                System.out.printf(Locale.ROOT, "  %-16s %.3f [%.3f, %.3f]%n", rn[w], x[m], x[0], x[e]);
            }
        } finally {
            pool.close();
        }
    }

    /**
     * Where the 2-thread MLP step loses time: the plan on a 2-thread pool behind a splitter that
     * times every {@code forEach} (wall time of the call, time each thread spends inside chunks,
     * how many calls per step) beside each thread's CPU time, so idle time at joins and the serial
     * parts show per thread even on a loaded machine. Prints the plan's schedule first.
     */
    static void joins(int runs) {
        dev.adjoint.kernels.ThreadPool pool = new dev.adjoint.kernels.ThreadPool(2);
        try {
            JoinMeter meter = new JoinMeter(pool);
            Object[] pf = mlpPlan(meter);
            dev.adjoint.cpu.Plan p = (dev.adjoint.cpu.Plan) pf[0];
            Object[] feeds = (Object[]) pf[1];
            String d = p.describe();
            d.lines().filter(l -> l.startsWith("in parallel") || l.startsWith("planned")).forEach(System.out::println);
            for (int i = 0; i < 3000; i++) p.run(feeds);
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            // The pool's worker, as the meter saw it run a chunk (other pools' workers share its name).
            long worker = meter.workerThread.threadId();
            meter.reset();
            long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime(), k0 = mx.getThreadCpuTime(worker);
            for (int i = 0; i < runs; i++) p.run(feeds);
            double wall = (System.nanoTime() - w0) / 1e3 / runs, cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e3 / runs;
            double wcpu = (mx.getThreadCpuTime(worker) - k0) / 1e3 / runs;
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            System.out.printf(Locale.ROOT, "MLP step on 2 threads, %d runs, load %.2f: wall %.1f us; caller CPU %.1f us, worker CPU %.1f us (spinning included)%n",
                    runs, load, wall, cpu, wcpu);
            System.out.printf(Locale.ROOT, "  forEach calls per step: %.1f split (%.1f us wall in them), %.1f paired stages (%.1f us wall)%n",
                    meter.calls[0] / (double) runs, meter.wall[0] / 1e3 / runs, meter.calls[1] / (double) runs, meter.wall[1] / 1e3 / runs);
            for (int k = 0; k < 2; k++) {
                String what = k == 0 ? "split steps" : "paired stages";
                System.out.printf(Locale.ROOT, "  %s: caller in chunks %.1f us, worker in chunks %.1f us; caller idle at joins %.1f us, worker idle %.1f us%n",
                        what, meter.callerBusy[k] / 1e3 / runs, meter.workerBusy[k] / 1e3 / runs,
                        (meter.wall[k] - meter.callerBusy[k]) / 1e3 / runs, (meter.wall[k] - meter.workerBusy[k]) / 1e3 / runs);
            }
            double outside = wall - (meter.wall[0] + meter.wall[1]) / 1e3 / runs;
            System.out.printf(Locale.ROOT, "  outside forEach (steps run alone, unsplit, worker idle): %.1f us wall%n", outside);
        } finally {
            pool.close();
        }
    }

    /** A splitter that times its delegate's {@code forEach} calls per thread (bench only: it allocates per call). */
    static final class JoinMeter implements dev.adjoint.kernels.WorkSplitter {
        final dev.adjoint.kernels.WorkSplitter pool;
        /** Index 0: kernels' own splits (any chunk count but 2 lanes of the plan); 1: the plan's paired stages. */
        final long[] calls = new long[2], wall = new long[2], callerBusy = new long[2], workerBusy = new long[2];
        private final java.util.concurrent.atomic.AtomicLong worker = new java.util.concurrent.atomic.AtomicLong();
        volatile Thread workerThread;

        JoinMeter(dev.adjoint.kernels.WorkSplitter pool) { this.pool = pool; }

        void reset() {
            Arrays.fill(calls, 0);
            Arrays.fill(wall, 0);
            Arrays.fill(callerBusy, 0);
            Arrays.fill(workerBusy, 0);
        }

        @Override public int threads() { return pool.threads(); }

        @Override public void forEach(int chunks, Chunk task) {
            if (chunks <= 1) {
                pool.forEach(chunks, task);
                return;
            }
            // The plan's lanes are the only 2-chunk calls whose task is the plan's inner Lanes class.
            int k = task.getClass().getName().endsWith("Plan$Lanes") ? 1 : 0;
            Thread caller = Thread.currentThread();
            long[] mine = new long[1];
            worker.set(0);
            long t0 = System.nanoTime();
            pool.forEach(chunks, i -> {
                long a = System.nanoTime();
                task.run(i);
                long e = System.nanoTime() - a;
                if (Thread.currentThread() == caller) mine[0] += e;
                else {
                    worker.addAndGet(e);
                    workerThread = Thread.currentThread();
                }
            });
            wall[k] += System.nanoTime() - t0;
            calls[k]++;
            callerBusy[k] += mine[0];
            workerBusy[k] += worker.get();
        }
    }

    /**
     * Runs both cases; the argument is the number of repetitions (default 7). With {@code cpu [REPS]},
     * one thread in thread CPU time (the peer: {@code torch_train_step.py REPS 1}). With
     * {@code profile [THREADS [RUNS]]}, prints the per-step profile of the MLP step instead; with
     * {@code scaling [ROUNDS]}, the MLP step's 1-thread / 2-thread wall-time ratio.
     */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("scaling")) {
            scaling(args.length > 1 ? Integer.parseInt(args[1]) : 21);
            return;
        }
        if (args.length > 0 && args[0].equals("ab")) {
            ab(args.length > 1 ? Integer.parseInt(args[1]) : 15);
            return;
        }
        if (args.length > 0 && args[0].equals("joins")) {
            joins(args.length > 1 ? Integer.parseInt(args[1]) : 2000);
            return;
        }
        if (args.length > 0 && args[0].equals("profile")) {
            profile(args.length > 1 ? Integer.parseInt(args[1]) : 1, args.length > 2 ? Integer.parseInt(args[2]) : 200);
            return;
        }
        boolean cpu = args.length > 0 && args[0].equals("cpu");
        if (cpu) args = Arrays.copyOfRange(args, 1, args.length);
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Layer mlp = Sequential.of(Linear.of(784, 512), Activation.RELU, Linear.of(512, 512), Activation.RELU, Linear.of(512, 10));
        Layer lenet = Sequential.of(Conv.conv2d(1, 6, 5).padding(2).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(),
                Conv.conv2d(6, 16, 5).nhwc(), Activation.RELU, Pool.max2d(2).nhwc(), Flatten.of(),
                Linear.of(400, 120), Activation.RELU, Linear.of(120, 84), Activation.RELU, Linear.of(84, 10));
        double[] a = time(mlp, new int[] {128, 784}, reps, cpu), c = time(lenet, new int[] {64, 28, 28, 1}, reps, cpu);
        String how = cpu ? "1 thread, thread CPU" : "default pool, wall";
        System.out.printf(Locale.ROOT, "adjoint MLP 784-512-512-10 batch 128 SGD step (%s): median %.2f ms [%.2f, %.2f]%n", how, a[0], a[1], a[2]);
        System.out.printf(Locale.ROOT, "adjoint LeNet-5 batch 64 SGD step (%s): median %.2f ms [%.2f, %.2f]%n", how, c[0], c[1], c[2]);
    }
}
