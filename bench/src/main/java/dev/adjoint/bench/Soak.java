package dev.adjoint.bench;

import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.testing.RecipeGraphs;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak run of issue 11 (a benchmark, not in CI): for N minutes, one thread compiles, runs and
 * drops small random plans, two threads serve inference on their own {@link Plan#copy()} of one
 * model plan (checking every result bitwise against the first), and one thread injects faults
 * (wrong feeds, a concurrent run on a shared plan, an output fed back). Every sample interval
 * it collects garbage and prints the heap in use and the live thread count, which must stay flat.
 *
 * <p>Usage: {@code mvn -q -pl bench -am package -DskipTests exec:exec@adjoint -Dmain=dev.adjoint.bench.Soak -Dargs="--minutes 2"}
 * ({@code --minutes M}, default 10; {@code --seconds S} for a shorter run; {@code --every S}, default 10).
 */
public final class Soak {
    private Soak() {}

    private static final AtomicLong compiled = new AtomicLong(), served = new AtomicLong(), wrong = new AtomicLong(),
            faults = new AtomicLong(), faultsCaught = new AtomicLong(), unexpected = new AtomicLong();

    /**
     * Runs the soak.
     *
     * @param args {@code --minutes M}, {@code --seconds S}, {@code --every S}
     */
    public static void main(String[] args) throws Exception {
        long seconds = 600, every = 10;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--minutes" -> seconds = Math.round(Double.parseDouble(args[i + 1]) * 60);
                case "--seconds" -> seconds = Long.parseLong(args[i + 1]);
                case "--every" -> every = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i] + " (--minutes, --seconds, --every)");
            }
        }
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        workers.add(new Thread(() -> compileRunDrop(stop), "soak-compile"));
        Model model = new Model();
        for (int k = 0; k < 2; k++) {
            Plan mine = model.plan.copy();
            workers.add(new Thread(() -> serve(mine, model, stop), "soak-serve-" + k));
        }
        workers.add(new Thread(() -> injectFaults(model, stop), "soak-faults"));
        Runtime rt = Runtime.getRuntime();
        var threads = ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "soak: %d s, sample every %d s, max heap %d MiB, %d processors%n", seconds, every,
                rt.maxMemory() >> 20, rt.availableProcessors());
        System.out.println("   t s | heap after GC MiB | threads | plans compiled | inferences | wrong | faults injected / caught | unexpected");
        long start = System.nanoTime();
        workers.forEach(Thread::start);
        List<Long> heaps = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (long t = every; t <= seconds; t += every) {
            Thread.sleep(Math.max(0, start / 1_000_000 + t * 1000 - System.nanoTime() / 1_000_000));
            long heap = usedAfterGc(rt);
            int n = threads.getThreadCount();
            heaps.add(heap);
            counts.add(n);
            System.out.printf(Locale.ROOT, "%6d | %17.1f | %7d | %14d | %10d | %5d | %12d / %-9d | %d%n", t, heap / 1048576.0, n,
                    compiled.get(), served.get(), wrong.get(), faults.get(), faultsCaught.get(), unexpected.get());
        }
        stop.set(true);
        for (Thread w : workers) w.join();
        int third = Math.max(1, heaps.size() / 3);
        double early = heaps.subList(0, third).stream().mapToLong(Long::longValue).average().orElse(0);
        double late = heaps.subList(heaps.size() - third, heaps.size()).stream().mapToLong(Long::longValue).average().orElse(0);
        System.out.printf(Locale.ROOT, "heap after GC: first third %.1f MiB, last third %.1f MiB (%+.1f MiB); threads %s%n",
                early / 1048576, late / 1048576, (late - early) / 1048576, counts.stream().distinct().toList());
        System.out.printf(Locale.ROOT, "totals: %d plans compiled, run and dropped; %d inferences, %d wrong; %d faults injected, %d caught as"
                + " the documented error, %d unexpected%n", compiled.get(), served.get(), wrong.get(), faults.get(), faultsCaught.get(), unexpected.get());
        if (wrong.get() > 0 || unexpected.get() > 0 || faults.get() != faultsCaught.get()) System.exit(1);
    }

    private static long usedAfterGc(Runtime rt) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    /** An MLP-sized inference plan with its weights as constants (what a loaded model file gives). */
    private static final class Model {
        final Tensor x;
        final Plan plan;
        final float[] input = new float[32 * 256];
        final float[] expected;

        Model() {
            Graph g = new Graph();
            SplittableRandom rnd = new SplittableRandom(7);
            x = g.input("x", 32, 256);
            Tensor w1 = g.constant(Shape.of(256, 256), rnd.doubles(256 * 256, -0.06, 0.06).toArray());
            Tensor w2 = g.constant(Shape.of(256, 10), rnd.doubles(256 * 10, -0.06, 0.06).toArray());
            Tensor logits = x.matmul(w1).tanh().matmul(w2);
            plan = Cpu.compile(List.of(logits.sub(logits.reduceMax(new int[] {1}, true)).exp().sum(1)));
            for (int i = 0; i < input.length; i++) input[i] = (float) rnd.nextDouble(-1, 1);
            plan.run(input);
            expected = plan.output(0).clone();
        }
    }

    private static void compileRunDrop(AtomicBoolean stop) {
        SplittableRandom rnd = new SplittableRandom(11);
        while (!stop.get()) {
            try {
                List<Integer> recipe = new ArrayList<>();
                for (int i = rnd.nextInt(1, 10); i > 0; i--) recipe.add(rnd.nextInt(4000));
                RecipeGraphs.Built b = RecipeGraphs.build(recipe);
                Plan p = Cpu.compile(b.outputs());
                Object[] feeds = new Object[p.inputs().size()];
                for (int i = 0; i < feeds.length; i++) {
                    double[] v = b.feeds().get(p.inputs().get(i)).data();
                    float[] f = new float[v.length];
                    for (int j = 0; j < v.length; j++) f[j] = (float) v[j];
                    feeds[i] = f;
                }
                for (int r = 0; r < 3; r++) p.run(feeds);
                compiled.incrementAndGet();
            } catch (RuntimeException e) {
                unexpected.incrementAndGet();
                System.out.println("unexpected in compile/run/drop: " + e);
            }
        }
    }

    private static void serve(Plan plan, Model model, AtomicBoolean stop) {
        while (!stop.get()) {
            try {
                plan.run(model.input);
                if (!Arrays.equals(model.expected, plan.output(0))) wrong.incrementAndGet();
                served.incrementAndGet();
            } catch (RuntimeException e) {
                unexpected.incrementAndGet();
                System.out.println("unexpected in serving: " + e);
            }
        }
    }

    private static void injectFaults(Model model, AtomicBoolean stop) {
        Plan shared = model.plan.copy();
        SplittableRandom rnd = new SplittableRandom(13);
        while (!stop.get()) {
            faults.incrementAndGet();
            try {
                switch (rnd.nextInt(3)) {
                    case 0 -> { // a wrongly sized feed: refused, naming the input; the plan stays usable
                        try {
                            shared.run(new float[7]);
                        } catch (IllegalArgumentException expected) {
                            shared.run(model.input);
                            if (Arrays.equals(model.expected, shared.output(0))) faultsCaught.incrementAndGet();
                        }
                    }
                    case 1 -> { // two threads on one plan: each run either completes right or is refused
                        Thread other = new Thread(() -> runChecked(shared, model));
                        other.start();
                        boolean ok = runChecked(shared, model);
                        other.join();
                        if (ok) faultsCaught.incrementAndGet();
                    }
                    default -> { // the plan's own output fed back as an input of the right size
                        Graph g = new Graph();
                        Tensor w = g.input("w", 64);
                        Plan p = Cpu.compile(List.of(w.mul(2), w.add(1).sqrt()));
                        float[] w0 = new float[64];
                        Arrays.fill(w0, 1.5f);
                        p.run(w0);
                        p.run(p.output(0));
                        if (p.output(0)[0] == 6f && p.output(1)[0] == (float) Math.sqrt(4)) faultsCaught.incrementAndGet();
                    }
                }
            } catch (Exception e) {
                unexpected.incrementAndGet();
                System.out.println("unexpected in fault injection: " + e);
            }
        }
    }

    /** One run that must either give the right answer or be refused as concurrent. */
    private static boolean runChecked(Plan p, Model model) {
        try {
            p.run(model.input);
            // the other thread may overwrite the outputs after this run ended; a refused run of ours is fine
            return true;
        } catch (IllegalStateException refused) {
            return refused.getMessage().contains("already running");
        }
    }
}
