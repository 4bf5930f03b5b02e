package dev.adjoint.bench;

import dev.adjoint.bench.perf.Headline;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.kernels.ThreadPool;

/** Worker parks and forEach calls per plan run of headline workloads on the default pool, per spin setting. */
public final class ParkProbe {
    public static void main(String[] args) {
        int runs = Integer.parseInt(args[1]);
        for (String id : args[0].split(",")) {
            Headline.Workload w = Headline.build(id, Cpu.defaultPool());
            long end = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < end) w.run().run();
            long p0 = ThreadPool.PARKS.get(), f0 = ThreadPool.FOREACHS.get(), t0 = System.nanoTime();
            for (int r = 0; r < runs; r++) w.run().run();
            long dt = System.nanoTime() - t0;
            System.out.printf("%-16s %8.1f us/run  forEach/run %.1f  parks/run %.2f%n", id, dt / 1e3 / runs,
                    (ThreadPool.FOREACHS.get() - f0) / (double) runs, (ThreadPool.PARKS.get() - p0) / (double) runs);
        }
    }
}
