package dev.adjoint.bench;

import dev.adjoint.bench.perf.Headline;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.lang.management.ManagementFactory;
import java.util.*;

public final class PlanSlowProbe {
    static final int MAXC = 16;
    public static void main(String[] args) {
        String id = args[0]; int calls = Integer.parseInt(args[1]); int builds = Integer.parseInt(args[2]);
        var mx = ManagementFactory.getThreadMXBean();
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int bld = 0; bld < builds; bld++) {
                long[][] st = new long[calls][MAXC], en = new long[calls][MAXC];
                char[][] who = new char[calls][MAXC];
                int[] forEachs = new int[calls];
                long[] tot = new long[calls], base = new long[1]; int[] cur = {-1};
                WorkSplitter rec = new WorkSplitter() {
                    public int threads() { return 2; }
                    public void forEach(int chunks, Chunk task) {
                        int ci0 = cur[0]; if (ci0 >= 0) forEachs[ci0]++;
                        pool.forEach(chunks, i -> {
                            int ci = cur[0];
                            long s = System.nanoTime();
                            task.run(i);
                            if (ci >= 0 && i < MAXC) { en[ci][i] = System.nanoTime() - base[0]; st[ci][i] = s - base[0];
                                who[ci][i] = Thread.currentThread().getName().startsWith("adjoint") ? 'W' : 'C'; }
                        });
                    }
                };
                Headline.Workload w = Headline.build(id, rec);
                for (int q = 0; q < 2000; q++) w.run().run();
                for (int q = 0; q < calls; q++) {
                    cur[0] = q; base[0] = System.nanoTime();
                    w.run().run();
                    tot[q] = System.nanoTime() - base[0];
                }
                cur[0] = -1;
                long[] s = tot.clone(); Arrays.sort(s); long med = s[calls / 2];
                int one = 0; for (int q = 0; q < calls; q++) if (who[q][0] == who[q][1]) one++;
                System.out.printf("build %d %s: med %.1f us p95 %.1f mean %.1f; forEach/run %d; one-thread %d of %d; chunks %d%n", bld, id, med / 1e3, s[calls * 95 / 100] / 1e3,
                        Arrays.stream(tot).sum() / 1e3 / calls, forEachs[0], one, calls, (int) java.util.stream.IntStream.range(0, MAXC).filter(i -> who[0][i] != 0).count());
                StringBuilder sb = new StringBuilder("  median-ish call:");
                int q = calls / 2; for (int i = 0; i < MAXC && who[q][i] != 0; i++) sb.append(String.format(" [%d %c %.0f-%.0f]", i, who[q][i], st[q][i] / 1e3, en[q][i] / 1e3));
                System.out.println(sb);
            }
        }
    }
}
